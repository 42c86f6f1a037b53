"""The Telegram-strict teardown check through the real stack: an error the test provokes inside
`strict.expect(...)` is allowed, the same error outside it is a violation, and so is an unanswered query."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest

from bot.emulator.state import CallbackRecord
from tests.strict import StrictTelegram


async def test_declared_error_passes_and_undeclared_one_is_reported(shop: Any, strict: StrictTelegram) -> None:
    alice = await shop.client.user("Alice")
    await alice.send("/start")
    await shop.client.advance_clock(5)
    sent = await shop.app.bot.send_message(alice.id, "ping")
    missing = sent.message_id + 1000  # the bot's own manners never send an identical edit: edit a lost message
    with strict.expect("message to edit not found"), pytest.raises(TelegramBadRequest):
        await shop.app.bot.edit_message_text("pong", chat_id=alice.id, message_id=missing)
    assert strict.violations() == []
    # the same call outside the declared block is what the teardown check would fail on
    with pytest.raises(TelegramBadRequest):
        await shop.app.bot.edit_message_text("pong", chat_id=alice.id, message_id=missing)
    problems = strict.violations()
    assert len(problems) == 1 and "editMessageText -> 400" in problems[0] and "not found" in problems[0]
    # declare it after the fact so this test itself passes its teardown check
    strict.allowed = ("message to edit not found",)
    assert strict.violations() == []


async def test_an_unanswered_query_is_reported(shop: Any, strict: StrictTelegram) -> None:
    emu = shop.emulator.emulator
    alice = await shop.client.user("Alice")
    await alice.send("/start")
    # a query the bot never got to answer (e.g. it was busy past the deadline), recorded as the emulator does
    record = CallbackRecord(id="42", user_id=alice.id, chat_id=alice.id, message_id=None,
                            created=emu.clock.now(), data="m:help")
    emu.callbacks[record.id] = record
    pending = await shop.client.unanswered()
    assert [q["data"] for q in pending.callback_queries] == ["m:help"]
    assert any("callback query never answered" in p and "m:help" in p for p in strict.violations())
    record.answered = True  # so that this test's own teardown check passes
    assert not await shop.client.unanswered()
