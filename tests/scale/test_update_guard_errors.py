"""The update guard sits outside aiogram's error middleware: an update whose handler failed but whose error the
errors router answered (the user was told, the webhook says 200, Telegram never delivers it again) counts as
handled; only an error that reaches the webhook (500: Telegram delivers it again) gives the update back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiogram import Dispatcher, F, Router
from aiogram.types import Chat, ErrorEvent, Message, Update, User

from bot import update_guard
from bot.update_guard import Claim, MemoryLedger
from tests.stubs import stub_bot


def _update(update_id: int, text: str) -> Update:
    user = User(id=5, is_bot=False, first_name="Ann", language_code="en")
    message = Message(
        message_id=update_id, date=datetime(2026, 1, 1, tzinfo=UTC), chat=Chat(id=5, type="private"),
        from_user=user, text=text,
    )  # fmt: skip
    return Update(update_id=update_id, message=message)


def _dispatcher(ledger: MemoryLedger) -> Dispatcher:
    dp = Dispatcher()
    router = Router()

    @router.message()
    async def fails(message: Message) -> None:
        raise RuntimeError("boom")

    @router.errors(F.update.message.text == "answered")  # the other text: no error handler takes it
    async def answered(event: ErrorEvent) -> bool:
        return True  # the real errors router tells the user here

    dp.include_router(router)
    update_guard.install(dp, ledger)
    return dp


async def test_an_error_the_errors_router_answered_finishes_the_update() -> None:
    ledger = MemoryLedger()
    dp = _dispatcher(ledger)
    bot, _ = stub_bot()
    await dp.feed_update(bot, _update(1, "answered"))
    assert await ledger.claim(1) is Claim.DONE


async def test_an_error_that_reaches_the_webhook_gives_the_update_back() -> None:
    ledger = MemoryLedger()
    dp = _dispatcher(ledger)
    bot, _ = stub_bot()
    with pytest.raises(RuntimeError):
        await dp.feed_update(bot, _update(2, "unanswered"))
    assert await ledger.claim(2) is Claim.TAKEN
