"""The error handler tells an outage from a bug, and never apologises for Telegram's flood control."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Dispatcher, Router
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage
from aiogram.types import CallbackQuery, Chat, Message, Update, User
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.i18n import t
from bot.outages import is_outage
from handlers.errors import on_error
from tests.stubs import StubSession, stub_bot

_IDS = itertools.count(1)


def _user(lang: str) -> User:
    return User(id=77, is_bot=False, first_name="Li", language_code=lang)


def _message(lang: str) -> Message:
    chat = Chat(id=77, type="private")
    return Message(message_id=next(_IDS), date=datetime.now(UTC), chat=chat, from_user=_user(lang), text="hi")


async def _feed(failure: Callable[[], Exception], update: Update) -> StubSession:
    bot, session = stub_bot()
    failing = Router()

    @failing.message()
    @failing.callback_query()
    async def fail(_event: Any) -> None:
        raise failure()

    errors = Router()  # the app's handler on a router of its own (a router is attached to one parent only)
    errors.errors.register(on_error)
    dp = Dispatcher()
    dp.include_routers(failing, errors)
    await dp.feed_update(bot, update)
    return session


def _operational() -> Exception:
    try:
        raise ConnectionRefusedError(111, "Connect call failed")
    except ConnectionRefusedError as cause:
        return OperationalError("SELECT 1", {}, cause)


OUTAGES: list[Callable[[], Exception]] = [
    _operational,
    lambda: PoolTimeout("QueuePool limit reached"),
    lambda: RedisConnectionError("Error 111 connecting to 127.0.0.1:6379"),
    lambda: ConnectionRefusedError(111, "refused"),
]


@pytest.mark.parametrize("failure", OUTAGES)
@pytest.mark.parametrize("lang", ["en", "zh-hans"])
async def test_outage_is_temporarily_unavailable_in_the_users_language(
    failure: Callable[[], Exception], lang: str
) -> None:
    session = await _feed(failure, Update(update_id=next(_IDS), message=_message(lang)))
    texts = [params["text"] for name, params in session.sent if name == "sendMessage"]
    assert texts == [t("zh" if lang.startswith("zh") else "en", "errors.unavailable")]


async def test_outage_on_a_button_is_a_toast() -> None:
    query = CallbackQuery(id="q1", from_user=_user("en"), chat_instance="c", data="x", message=_message("en"))
    session = await _feed(_operational, Update(update_id=next(_IDS), callback_query=query))
    answers = [params for name, params in session.sent if name == "answerCallbackQuery"]
    assert answers == [{"callback_query_id": "q1", "text": t("en", "errors.unavailable"), "show_alert": False}]


async def test_flood_control_is_never_apologised_for() -> None:
    method = SendMessage(chat_id=77, text="x")
    session = await _feed(lambda: TelegramRetryAfter(method, "Too Many Requests", 120), Update(
        update_id=next(_IDS), message=_message("en")
    ))
    assert not [params for name, params in session.sent if name == "sendMessage"]
    query = CallbackQuery(id="q2", from_user=_user("en"), chat_instance="c", data="x", message=_message("en"))
    session = await _feed(
        lambda: TelegramRetryAfter(method, "Too Many Requests", 120), Update(update_id=next(_IDS), callback_query=query)
    )
    assert [params for name, params in session.sent if name == "answerCallbackQuery"] == [{"callback_query_id": "q2"}]


def test_a_bug_is_not_an_outage() -> None:
    assert not is_outage(ValueError("bad value"))
    assert not is_outage(KeyError("x"))
    assert is_outage(RuntimeError("wrapped")) is False
    try:
        try:
            raise RedisConnectionError("down")
        except RedisConnectionError as inner:
            raise RuntimeError("while reading state") from inner
    except RuntimeError as outer:
        assert is_outage(outer)
