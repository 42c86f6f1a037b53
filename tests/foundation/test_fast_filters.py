"""bot/fast_filters.py reaches into aiogram (FilterObject.magic/awaitable/callback, observer._handler): this
fails when an aiogram upgrade moves those internals, instead of the patch silently doing nothing or breaking."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import F, Router
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.types import Chat, Message

from bot.fast_filters import inline_magic_filters


def _message(chat_type: str) -> Message:
    return Message(message_id=1, date=datetime.now(UTC), chat=Chat(id=1, type=chat_type), text="hi")


async def test_magic_filters_run_inline_and_still_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    router = Router()
    child = Router()
    router.include_router(child)

    @child.message(F.chat.type == "private", F.text)
    async def private_text(message: Message) -> None: ...

    assert inline_magic_filters(router) == 2, "aiogram's handler/filter layout changed: revisit bot/fast_filters.py"
    filters = child.message.handlers[0].filters
    assert filters is not None and all(isinstance(f, FilterObject) and f.awaitable for f in filters)

    def no_thread_hop(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a patched filter went through asyncio.to_thread")

    monkeypatch.setattr(asyncio, "to_thread", no_thread_hop)
    first = filters[0]
    assert await first.call(_message("private")) is True
    assert await first.call(_message("group")) is False
