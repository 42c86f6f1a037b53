"""bot.method_fields.method_field answers exactly what getattr(method, name, None) answers, for methods that have
the field and for those that do not (the request middlewares read chat_id, message_id, inline_message_id and
reply_markup from every Bot API call this way)."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, SendPhoto
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.method_fields import method_field

KEYBOARD = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Buy", callback_data="fb:1")]])
METHODS: list[Any] = [
    AnswerCallbackQuery(callback_query_id="7", text="Sold out"),
    SendMessage(chat_id=-100, text="hi", reply_markup=KEYBOARD),
    SendPhoto(chat_id="@shop", photo="file-id"),
    EditMessageText(chat_id=5, message_id=9, text="x"),
    EditMessageText(inline_message_id="abc", text="x"),
]


@pytest.mark.parametrize("method", METHODS, ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("name", ["chat_id", "message_id", "inline_message_id", "reply_markup", "no_such_field"])
def test_same_answer_as_getattr(method: Any, name: str) -> None:
    assert method_field(method, name) == getattr(method, name, None)
    assert method_field(method, name) == getattr(method, name, None)  # the class's fields are now remembered


def test_a_plain_object_is_read_as_is() -> None:
    class Plain:
        chat_id = 42

    for _ in range(2):  # the second time from what was remembered of the class
        assert method_field(Plain(), "message_id") is None
        assert method_field(Plain(), "chat_id") == 42
