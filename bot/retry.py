"""Obeying Telegram's flood control: a call answered 429 with retry_after waits that long and goes again, so a
reply is delivered late rather than lost (and never turned into an apology: handlers/errors.py).

Once a chat has been answered 429, calls to it queue one at a time until one gets through. Without the queue
every reply waiting on the same chat would wake at the same moment, one would pass, and the rest would be
refused again and again: with a burst of taps the last replies would run out of attempts. Calls to healthy chats
never wait for the queue.

Waits are bounded (`max_wait` for one wait, `budget` in all): a handler must not hang for minutes, and the
outbox paces bulk sends and reschedules its own rows.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

from bot.method_fields import method_field

log = logging.getLogger(__name__)


class _ChatQueue:
    """Calls to one chat under flood control, one at a time."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0  # calls holding or waiting for the lock


class RetryAfterMiddleware(BaseRequestMiddleware):
    def __init__(self, attempts: int = 10, max_wait: float = 30.0, budget: float = 60.0) -> None:
        self.attempts = attempts
        self.max_wait = max_wait
        self.budget = budget
        self._queues: dict[Any, _ChatQueue] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat = method_field(method, "chat_id")
        refused: TelegramRetryAfter | None = None
        if chat is None or chat not in self._queues:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if chat is None:
                    return await self._retry(make_request, bot, method, exc)
                refused = exc
        queue = self._queues.setdefault(chat, _ChatQueue())
        queue.users += 1
        try:
            async with queue.lock:
                return await self._retry(make_request, bot, method, refused, chat)
        finally:
            queue.users -= 1
            if queue.users == 0 and self._queues.get(chat) is queue:
                del self._queues[chat]  # the chat is healthy again

    async def _retry(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
        refused: TelegramRetryAfter | None,
        chat: Any = None,
    ) -> Response[TelegramType]:
        deadline = time.monotonic() + self.budget
        for _attempt in range(self.attempts):
            if refused is not None:
                wait = float(refused.retry_after)
                if wait > self.max_wait or time.monotonic() + wait > deadline:
                    raise refused
                log.info("flood control on %s (chat %s): waiting %ss", type(method).__name__, chat, wait)
                await asyncio.sleep(wait)
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                refused = exc
        assert refused is not None
        raise refused


def install(bot: Bot, **kwargs: Any) -> None:
    bot.session.middleware(RetryAfterMiddleware(**kwargs))
