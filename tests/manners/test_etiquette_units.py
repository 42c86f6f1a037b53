"""The pieces of Telegram manners on their own: what an edit would change, and send slots."""

from __future__ import annotations

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.chat_pacing import SendSchedule
from bot.config.sections import PacingSettings
from bot.edit_guard import shown_from_html, shown_from_message
from bot.emulator.entities import parse_html

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="➕", callback_data="pc:q:1:2"), InlineKeyboardButton(text="Share", url="https://t.me/x")]
    ]
)


def as_telegram_shows(html: str, markup: InlineKeyboardMarkup | None) -> Message:
    """The message Telegram would return for `html`: its own parser (the emulator's) makes text and entities."""
    text, entities = parse_html(html)
    return Message.model_validate(
        {
            "message_id": 7,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "text": text,
            "entities": entities,
            "reply_markup": markup.model_dump(exclude_none=True) if markup else None,
        }
    )


@pytest.mark.parametrize(
    "html",
    [
        "<b>Kyoho grapes, 1 kg</b>\n¥26.80 · 25 left\n\nrich &amp; sweet",
        "  Cart\n<i>empty</i> \n",
        '<a href="https://t.me/bot?start=p_X">link</a> and 中文 😀 <code>x&lt;y</code>',
        "<s>¥29.90</s> <b>¥19.90</b> ⚡ flash /start @someone https://example.com",
        "<pre><code class=\"language-text\">a\nb</code></pre><tg-spoiler>s</tg-spoiler>",
    ],
)
def test_an_unchanged_render_is_recognised_as_what_telegram_shows(html: str) -> None:
    message = as_telegram_shows(html, KEYBOARD)
    assert shown_from_html(html, KEYBOARD) == shown_from_message(message)


def test_a_change_of_text_formatting_or_keyboard_is_not_mistaken_for_no_change() -> None:
    message = shown_from_message(as_telegram_shows("<b>Qty: 1</b>", KEYBOARD))
    assert shown_from_html("<b>Qty: 2</b>", KEYBOARD) != message
    assert shown_from_html("Qty: 1", KEYBOARD) != message
    assert shown_from_html("<b>Qty: 1</b>", None) != message
    other = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="➕", callback_data="pc:q:1:3")]])
    assert shown_from_html("<b>Qty: 1</b>", other) != message


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_private_chat_gets_a_short_burst_then_about_one_message_a_second() -> None:
    clock = FakeClock()
    schedule = SendSchedule(PacingSettings(per_chat_per_second=1, per_chat_burst=3), clock)
    waits = [schedule.reserve(42, counts_for_chat=True) for _ in range(6)]
    assert waits[:3] == [0, 0, 0]
    assert waits[3:] == pytest.approx([1.0, 2.0, 3.0])
    assert schedule.reserve(43, counts_for_chat=True) == 0, "another chat is not held up"


def test_a_group_gets_at_most_its_per_minute_share_edits_included() -> None:
    clock = FakeClock()
    schedule = SendSchedule(PacingSettings(per_chat_per_second=30, per_chat_burst=30, per_group_per_minute=5), clock)
    waits = [schedule.reserve(-100, counts_for_chat=False) for _ in range(7)]
    assert waits[:5] == [0] * 5
    assert waits[5] == pytest.approx(60.0) and waits[6] == pytest.approx(60.0)
    clock.now += 61
    assert schedule.reserve(-100, counts_for_chat=False) == 0, "a minute later the group has room again"


def test_all_chats_together_stay_under_the_global_rate() -> None:
    clock = FakeClock()
    schedule = SendSchedule(PacingSettings(global_per_second=10, per_chat_burst=3), clock)
    waits = [schedule.reserve(chat, counts_for_chat=True) for chat in range(1, 26)]
    assert waits.count(0) == 10
    assert max(waits) == pytest.approx(2.0)
    # never more than 10 slots in any one-second window
    slots = sorted(1000.0 + w for w in waits)
    assert all(slots[i + 10] - slots[i] >= 1.0 - 1e-9 for i in range(len(slots) - 10))
