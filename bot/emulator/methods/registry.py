"""Method table: Telegram method names are case-insensitive, so keys are lower-cased."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.emulator.params import Params

if TYPE_CHECKING:
    from bot.emulator.engine import Emulator

Handler = Callable[["Emulator", Params], Awaitable[Any]]
METHODS: dict[str, Handler] = {}


def method(*names: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for name in names:
            METHODS[name.lower()] = handler
        return handler

    return register
