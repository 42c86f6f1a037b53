"""A tap handled again after its first worker died (the update's claim lapsed) may already have been answered by
that worker: Telegram refuses the second answer ("query is too old ... or query ID is invalid"). That refusal is
the expected end of the tap, not a failure of the handler, which carries on; any other refusal still raises."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, TelegramMethod

from bot.callback_answers import AnsweredTaps, AnswerOnce
from bot.emulator.errors import QUERY_TOO_OLD
from tests.stubs import StubSession


class Refusing(StubSession):
    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        if isinstance(method, AnswerCallbackQuery):
            reason = QUERY_TOO_OLD if method.callback_query_id == "answered-elsewhere" else "MESSAGE_TOO_LONG"
            raise TelegramBadRequest(method, f"Bad Request: {reason}")
        return await super().make_request(bot, method, timeout)


async def test_a_tap_another_worker_answered_ends_quietly_other_refusals_raise() -> None:
    answered = AnsweredTaps()
    bot = Bot("123456:TEST", session=Refusing())
    bot.session.middleware(AnswerOnce(answered))
    try:
        assert await bot.answer_callback_query("answered-elsewhere", text="🎉") is True
        assert "answered-elsewhere" in answered
        with pytest.raises(TelegramBadRequest):
            await bot.answer_callback_query("other", text="x" * 10)
        assert "other" not in answered
    finally:
        await bot.session.close()
