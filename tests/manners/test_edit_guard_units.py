"""The edit guard under a double tap, without a network: the two taps' edits are handled at once, and the second
tap carries the message as it was before the first tap's edit. Neither may make the guard send an edit equal to
what the message shows (Telegram's 400 "message is not modified")."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.methods import EditMessageText
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.edit_guard import EditGuard, ShownMessages
from bot.emulator.entities import parse_html

CHAT, MESSAGE = 1, 7
SECOND = 1_800_000_000


def picker(qty: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=f"Qty: {qty}", callback_data=f"pc:q:1:{qty}")]]
    )


def telegram_message(qty: int, *, edited_at: int | None) -> Message:
    """The message as Telegram returns it (to an edit) or carries it (in a tap)."""
    text, entities = parse_html(f"<b>Potatoes</b>\nQty: {qty}")
    return Message.model_validate(
        {
            "message_id": MESSAGE,
            "date": SECOND - 60,
            "edit_date": edited_at,
            "chat": {"id": CHAT, "type": "private"},
            "text": text,
            "entities": entities,
            "reply_markup": picker(qty).model_dump(exclude_none=True),
        }
    )


def edit(qty: int) -> EditMessageText:
    text = f"<b>Potatoes</b>\nQty: {qty}"
    return EditMessageText(chat_id=CHAT, message_id=MESSAGE, text=text, reply_markup=picker(qty))


class FakeTelegram:
    """Answers edits like Telegram after a little network time, and counts what reached it."""

    def __init__(self, edited_at: int = SECOND) -> None:
        self.sent: list[Any] = []
        self.edited_at = edited_at

    async def __call__(self, bot: Bot, method: Any) -> Any:
        self.sent.append(method)
        await asyncio.sleep(0.01)
        qty = int(method.text.rsplit(" ", 1)[1])
        return telegram_message(qty, edited_at=self.edited_at)


def bot() -> Bot:
    return Bot("42:TEST", default=DefaultBotProperties(parse_mode="HTML"))


async def test_two_equal_edits_at_once_send_one() -> None:
    shown = ShownMessages()
    guard, telegram = EditGuard(shown), FakeTelegram()
    shown.observe_tapped(telegram_message(1, edited_at=None))
    results = await asyncio.gather(guard(telegram, bot(), edit(2)), guard(telegram, bot(), edit(2)))
    assert len(telegram.sent) == 1, "the second was compared while the first was on its way"
    assert all(results) and shown.skipped_edits == 1


async def test_a_tap_from_before_the_last_edit_does_not_hide_it() -> None:
    shown = ShownMessages()
    guard, telegram = EditGuard(shown), FakeTelegram(edited_at=SECOND)
    shown.observe_tapped(telegram_message(1, edited_at=SECOND - 5))
    await guard(telegram, bot(), edit(2))
    # The double tap's second update arrives now, carrying the drawing from before that edit.
    shown.observe_tapped(telegram_message(1, edited_at=SECOND - 5))
    await guard(telegram, bot(), edit(2))
    assert len(telegram.sent) == 1 and shown.stale_taps == 1


async def test_within_one_second_a_drawing_it_had_before_is_the_older_one() -> None:
    """Edit dates are whole seconds: a card opened and then picked within one second has one date twice."""
    shown = ShownMessages()
    guard, telegram = EditGuard(shown), FakeTelegram(edited_at=SECOND)
    shown.observe_tapped(telegram_message(1, edited_at=SECOND))
    await guard(telegram, bot(), edit(2))
    shown.observe_tapped(telegram_message(1, edited_at=SECOND))
    await guard(telegram, bot(), edit(2))
    assert len(telegram.sent) == 1


@pytest.mark.parametrize("later", [1, 0], ids=["a later second", "the same second"])
async def test_a_newer_drawing_from_another_process_is_believed(later: int) -> None:
    """Another process drew quantity 3 after this one drew 2: drawing 2 again is a change, and is sent."""
    shown = ShownMessages()
    guard, telegram = EditGuard(shown), FakeTelegram(edited_at=SECOND)
    await guard(telegram, bot(), edit(2))
    shown.observe_tapped(telegram_message(3, edited_at=SECOND + later))
    await guard(telegram, bot(), edit(2))
    assert len(telegram.sent) == 2
