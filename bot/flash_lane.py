"""The storm lane: a flash-sale Buy tap does no database work before its admission decision.

aiogram's FSM middleware reads the conversation state of every update, and the user middleware creates or
refreshes the user's row: two round trips per tap, for a handler that needs neither. For a Buy tap the FSM read
is skipped here and the user middleware only queues the tapper's row (bot/user_rows.py); everything else
(duplicate-update guard, error handler, routing) is the same path as any other update.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiogram import Dispatcher
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.types import TelegramObject, Update

from bot.callbacks.flashsale import FlashBuyCB

if TYPE_CHECKING:
    from bot.context import AppContext

_BUY_PREFIX = f"{FlashBuyCB.__prefix__}{FlashBuyCB.__separator__}"


def is_flash_tap(event: TelegramObject) -> bool:
    if not isinstance(event, Update) or event.callback_query is None:
        return False
    data = event.callback_query.data
    return data is not None and data.startswith(_BUY_PREFIX)


class StormAwareFSM(FSMContextMiddleware):
    """aiogram's FSM middleware, minus the state read for a flash tap (the Buy handler takes no state)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if is_flash_tap(event):
            data["fsm_storage"] = self.storage
            return await handler(event, data)
        return await super().__call__(handler, event, data)


def install(dp: Dispatcher) -> None:
    """Swap the dispatcher's FSM middleware for the storm-aware one, in the same place: call right after
    building the dispatcher, while only aiogram's own context middleware precedes the FSM one."""
    manager = dp.update.outer_middleware
    old = dp.fsm
    manager.unregister(old)
    dp.fsm = StormAwareFSM(storage=old.storage, events_isolation=old.events_isolation, strategy=old.strategy)
    manager.register(dp.fsm)


async def drain(ctx: AppContext) -> None:
    """Shutdown: commit the claims and user rows still queued (before the database closes)."""
    await ctx.admission.drain()
    await ctx.user_rows.drain()
