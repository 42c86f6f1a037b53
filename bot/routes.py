"""Handler declarations that become a Router only when the composition root asks for one.

aiogram's idiom is a module-level `Router` filled by decorators, but a Router can belong to one parent only,
so every test or benchmark that builds a second Dispatcher in the same process had to detach it by writing a
private attribute. Here a handler module keeps its decorators (`@routes.message(...)`) on a `Routes` record,
and its `setup()` returns a fresh Router built from that record: one Router per Dispatcher, no shared state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiogram import Router

Callback = TypeVar("Callback", bound=Callable[..., Any])


@dataclass(frozen=True)
class _Registration:
    observer: str
    callback: Callable[..., Any]
    filters: tuple[Any, ...]
    flags: dict[str, Any]


@dataclass
class _Observer:
    """Stands in for one of a Router's observers (`message`, `callback_query`, ...)."""

    name: str
    owner: Routes

    def __call__(self, *filters: Any, **flags: Any) -> Callable[[Callback], Callback]:
        def remember(callback: Callback) -> Callback:
            self.owner.registrations.append(_Registration(self.name, callback, filters, flags))
            return callback

        return remember

    def register(self, callback: Callable[..., Any], *filters: Any, **flags: Any) -> None:
        self.owner.registrations.append(_Registration(self.name, callback, filters, flags))

    def filter(self, *filters: Any) -> None:
        """Filters every handler of this observer must pass (aiogram's `router.message.filter`)."""
        self.owner.observer_filters.append((self.name, filters))


@dataclass
class Routes:
    name: str
    registrations: list[_Registration] = field(default_factory=list)
    observer_filters: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def __getattr__(self, observer: str) -> _Observer:
        if observer.startswith("_"):
            raise AttributeError(observer)
        return _Observer(observer, self)

    def build(self) -> Router:
        router = Router(name=self.name)
        for observer, filters in self.observer_filters:
            getattr(router, observer).filter(*filters)
        for item in self.registrations:
            getattr(router, item.observer).register(item.callback, *item.filters, **item.flags)
        return router
