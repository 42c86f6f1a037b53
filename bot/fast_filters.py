"""aiogram runs every synchronous filter in a worker thread (`asyncio.to_thread`), magic filters included.
Ours are pure attribute checks (`F.chat.type == "private"`), so the thread hop is pure overhead: measured in
the flash-sale storm it dominated dispatch. After the routers are assembled, run such filters inline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject


def _inline(func: Callable[..., Any]) -> Callable[..., Any]:
    async def run(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return run


def _patch(filters: list[FilterObject] | None) -> int:
    patched = 0
    for item in filters or ():
        if item.magic is not None and not item.awaitable:
            item.callback = _inline(item.callback)
            item.awaitable = True
            patched += 1
    return patched


def inline_magic_filters(router: Router) -> int:
    """Make the magic filters of `router` and all its sub-routers run without a thread hop; returns the count."""
    patched = 0
    for observer in router.observers.values():
        patched += _patch(getattr(observer, "_handler", None) and observer._handler.filters)
        for handler in observer.handlers:
            patched += _patch(handler.filters)
    for sub in router.sub_routers:
        patched += inline_magic_filters(sub)
    return patched
