"""Telegram may deliver one update twice (a webhook retry, a polling restart): handle each update_id once.

One process remembers update ids in memory. Several processes behind one webhook (and a restart) share
nothing in memory, so with `redis.url` set the ids are claimed in Redis with `SET NX EX`: whichever process
claims an id first handles the update, every other delivery of it is dropped, across processes and restarts.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

log = logging.getLogger(__name__)

# Telegram keeps retrying an unacknowledged webhook update for up to 24 hours; an id must be remembered longer
# than that, or a late retry would be handled a second time.
TELEGRAM_RETRY_WINDOW_SECONDS = 24 * 3600
REMEMBER_SECONDS = 2 * TELEGRAM_RETRY_WINDOW_SECONDS


class UpdateLedger(Protocol):
    async def claim(self, update_id: int) -> bool:
        """True for the first delivery of `update_id` (the caller handles it), False for any repeat."""

    async def release(self, update_id: int) -> None:
        """Handling failed before it took effect: let a redelivery be handled."""

    async def close(self) -> None: ...


class MemoryLedger:
    """Update ids of this process, the most recent `remember` of them (one process, no restart)."""

    def __init__(self, remember: int = 100_000) -> None:
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._remember = remember

    async def claim(self, update_id: int) -> bool:
        if update_id in self._seen:
            return False
        self._seen[update_id] = None
        if len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        return True

    async def release(self, update_id: int) -> None:
        self._seen.pop(update_id, None)

    async def close(self) -> None:
        return None


class RedisLedger:
    """Update ids claimed in Redis, shared by every process of one bot (`namespace`, e.g. the bot id).

    While Redis is unreachable the process falls back to its own memory for a moment rather than dropping or
    stalling updates: a repeat that lands on another process in that window may then be handled twice, which
    the idempotent store services absorb (DESIGN.md), whereas refusing updates would lose them."""

    def __init__(
        self,
        url: str,
        namespace: str,
        *,
        ttl_seconds: int = REMEMBER_SECONDS,
        timeout: float = 2.0,
        retry_seconds: float = 1.0,
        max_connections: int = 32,
    ) -> None:
        from redis.asyncio import BlockingConnectionPool, Redis

        # A burst of updates waits for a pooled connection instead of failing over to this process's memory
        # (which would let a repeat on another process through).
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
        )
        self.redis: Redis = Redis.from_pool(pool)  # owns the pool: close() disconnects it
        self.prefix = f"groupcart:update:{namespace}:"
        self.ttl_seconds = ttl_seconds
        self.retry_seconds = retry_seconds
        self._fallback = MemoryLedger()
        self._owner = f"{socket.gethostname()}:{os.getpid()}"  # which process handled it, for the operator
        self._down_until = 0.0

    def key(self, update_id: int) -> str:
        return f"{self.prefix}{update_id}"

    async def claim(self, update_id: int) -> bool:
        if time.monotonic() >= self._down_until:
            try:
                claimed = await self.redis.set(self.key(update_id), self._owner, nx=True, ex=self.ttl_seconds)
            except Exception as exc:
                log.warning("Redis unavailable, update %s de-duplicated in this process only: %r", update_id, exc)
                self._down_until = time.monotonic() + self.retry_seconds
            else:
                await self._fallback.claim(update_id)  # remembered here too, for a Redis outage to come
                return bool(claimed)
        return await self._fallback.claim(update_id)

    async def release(self, update_id: int) -> None:
        await self._fallback.release(update_id)
        try:
            await self.redis.delete(self.key(update_id))
        except Exception as exc:
            log.warning("Redis unavailable, update %s stays claimed until its key expires: %r", update_id, exc)

    async def close(self) -> None:
        await self.redis.aclose()


def build_ledger(redis_url: str | None, namespace: str) -> UpdateLedger:
    if redis_url:
        return RedisLedger(redis_url, namespace)
    return MemoryLedger()


class DuplicateUpdateMiddleware(BaseMiddleware):
    def __init__(self, ledger: UpdateLedger | None = None) -> None:
        self.ledger: UpdateLedger = ledger or MemoryLedger()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        if not await self.ledger.claim(event.update_id):
            return None
        try:
            return await handler(event, data)
        except Exception:
            # The webhook answers 500 and Telegram delivers the update again: that delivery must be handled.
            await self.ledger.release(event.update_id)
            raise
