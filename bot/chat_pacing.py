"""Replies keep Telegram's pace instead of meeting its 429.

Telegram allows about one message a second to one chat after a short burst, about twenty messages (edits
included) a minute in one group and about thirty a second in total. Every outgoing message waits here for its
slot: slots are handed out in arrival order, so a burst becomes a queue, not a string of refusals.
A user who sends the same text again while the first is still being answered (a stuck Enter key, twenty
/checkin at once) is answered once: the repeats are counted and dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import (
    CopyMessage,
    EditMessageCaption,
    EditMessageMedia,
    EditMessageReplyMarkup,
    EditMessageText,
    ForwardMessage,
    Response,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import Message, TelegramObject

from bot.config.sections import PacingSettings
from bot.method_fields import method_field

log = logging.getLogger(__name__)

EDITS = (EditMessageText, EditMessageCaption, EditMessageReplyMarkup, EditMessageMedia)


def _is_send(method: object) -> bool:
    return type(method).__name__.startswith("Send") or isinstance(method, CopyMessage | ForwardMessage)


def _is_group(chat_id: int | str) -> bool:
    # Group, supergroup and channel ids are negative; @usernames name public groups and channels.
    return isinstance(chat_id, str) or chat_id < 0


@dataclass
class _Window:
    """At most `limit` slots in any `span` seconds; slots may be reserved in the future."""

    limit: int
    span: float
    slots: deque[float] = field(default_factory=deque)

    def earliest(self, now: float) -> float:
        while self.slots and self.slots[0] <= now - self.span:
            self.slots.popleft()
        if len(self.slots) < self.limit:
            return now
        return self.slots[-self.limit] + self.span

    def take(self, at: float) -> None:
        self.slots.append(at)


@dataclass
class _Bucket:
    """A burst of `burst` slots, then one every `interval` seconds (generic cell rate)."""

    interval: float
    burst: int
    next_free: float = 0.0

    def earliest(self, now: float) -> float:
        return max(now, self.next_free - (self.burst - 1) * self.interval)

    def take(self, at: float) -> None:
        self.next_free = max(self.next_free, at) + self.interval


class SendSchedule:
    """Hands out send slots per chat, per group and in total."""

    def __init__(
        self,
        settings: PacingSettings,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.sleep = sleep
        self._chats: dict[int | str, _Bucket] = {}
        self._groups: dict[int | str, _Window] = {}
        self._global = _Window(max(1, int(settings.global_per_second)), 1.0)
        self.waited = 0
        self.waited_seconds = 0.0

    def reserve(self, chat_id: int | str, *, counts_for_chat: bool) -> float:
        """Reserve the next slot for a message to `chat_id`; returns the seconds to wait for it."""
        now = self.clock()
        limits: list[_Bucket | _Window] = [self._global]
        if counts_for_chat:
            limits.append(self._chat(chat_id))
        if _is_group(chat_id):
            limits.append(self._group(chat_id))
        at = max(limit.earliest(now) for limit in limits)
        for limit in limits:
            limit.take(at)
        self._forget_idle(now)
        return at - now

    async def claim(self, chat_id: int | str, *, counts_for_chat: bool) -> float:
        """`reserve` for the request middleware (a shared schedule reserves over the network)."""
        return self.reserve(chat_id, counts_for_chat=counts_for_chat)

    async def close(self) -> None:
        return None

    def _chat(self, chat_id: int | str) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            interval = 1.0 / self.settings.per_chat_per_second
            bucket = self._chats[chat_id] = _Bucket(interval, self.settings.per_chat_burst)
        return bucket

    def _group(self, chat_id: int | str) -> _Window:
        window = self._groups.get(chat_id)
        if window is None:
            window = self._groups[chat_id] = _Window(self.settings.per_group_per_minute, 60.0)
        return window

    def _forget_idle(self, now: float) -> None:
        # A chat whose slots all lie in the past needs no memory: keep the maps as small as the active chats.
        if len(self._chats) > 10_000:
            self._chats = {k: b for k, b in self._chats.items() if b.next_free > now}
        if len(self._groups) > 10_000:
            self._groups = {k: w for k, w in self._groups.items() if w.slots and w.slots[-1] > now - 60.0}


class PaceSends(BaseRequestMiddleware):
    def __init__(self, schedule: SendSchedule) -> None:
        self.schedule = schedule

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        chat_id = method_field(method, "chat_id")
        if isinstance(chat_id, int | str) and not isinstance(chat_id, bool):
            send = _is_send(method)
            if send or (isinstance(method, EDITS) and _is_group(chat_id)):
                wait = await self.schedule.claim(chat_id, counts_for_chat=send)
                if wait > 0:
                    self.schedule.waited += 1
                    self.schedule.waited_seconds += wait
                    await self.schedule.sleep(wait)
        return await make_request(bot, method)


class AnswerRepeatsOnce(BaseMiddleware):
    """Message middleware: the same text from one user in one chat, while the first is still being answered
    (or within `window` seconds after), is dropped and counted."""

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self._busy: dict[tuple[int, int, str], int] = {}
        self._done: dict[tuple[int, int, str], float] = {}
        self.dropped = 0

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Message) or not event.text or event.from_user is None:
            return await handler(event, data)
        key = (event.chat.id, event.from_user.id, event.text)
        now = self.clock()
        if key in self._busy or now - self._done.get(key, -1e18) < self.window:
            self.dropped += 1
            log.info("repeat of %r from %s in %s answered once", event.text[:40], key[1], key[0])
            return None
        self._busy[key] = self._busy.get(key, 0) + 1
        try:
            return await handler(event, data)
        finally:
            left = self._busy.pop(key) - 1
            if left:
                self._busy[key] = left
            if self.window > 0:
                self._done[key] = self.clock()
                if len(self._done) > 10_000:
                    cutoff = self.clock() - self.window
                    self._done = {k: at for k, at in self._done.items() if at > cutoff}
