"""Telegram may deliver one update twice (a webhook retry, a polling restart): handle each update_id once.

One process remembers update ids in memory. Several processes behind one webhook (and a restart) share
nothing in memory, so with `redis.url` set each id has a two-state claim in Redis:

- "run:<owner>" with a short lease while a process handles the update. A worker killed mid-update (kill -9,
  OOM, a lost host) never finishes it; its request to the webhook failed, so Telegram (or the proxy) delivers
  the update again. While the lease runs, that redelivery is answered 503 (Telegram tries again later: the
  claimant may still be alive and finish); once the lease has lapsed, the claimant is taken for dead and the
  redelivery is handled, so the user is answered after all.
- "done:<owner>" with a TTL longer than Telegram's retry window once handled: any later delivery is dropped.

While its handler runs, the claimant renews its lease (every third of it), so a slow handler (a database that
stalls for a minute) is not taken for dead; a killed one stops renewing and its lease lapses. So an update is
handled at least once and, while its claimant lives, at most once. Effects on money, stock and points are
exactly once regardless: the store's transitions are conditional (DESIGN.md), so a
handler that runs again after a dead claimant committed finds the work done.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import socket
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject, Update

from bot.background_tasks import cancel_and_wait, raise_if_cancelling
from bot.middleware_order import register_outermost

log = logging.getLogger(__name__)

# Telegram keeps retrying an unacknowledged webhook update for up to 24 hours; an id must be remembered longer
# than that, or a late retry would be handled a second time.
TELEGRAM_RETRY_WINDOW_SECONDS = 24 * 3600
REMEMBER_SECONDS = 2 * TELEGRAM_RETRY_WINDOW_SECONDS
# How long a claim stays "in progress" before its claimant is taken for dead (redis.update_lease_seconds).
DEFAULT_LEASE_SECONDS = 30.0

RUNNING = "run:"
DONE = "done:"


class Claim(enum.Enum):
    TAKEN = "taken"  # first delivery, or the claimant's lease lapsed: handle it
    DONE = "done"  # handled already: drop it
    BUSY = "busy"  # another live claimant is handling it: ask for a later redelivery


class UpdateLedger(Protocol):
    async def claim(self, update_id: int) -> Claim: ...

    async def finish(self, update_id: int) -> None:
        """Handled: every later delivery is dropped."""

    async def release(self, update_id: int) -> None:
        """Handling failed before it took effect: let a redelivery be handled."""

    def holding(self, update_id: int) -> contextlib.AbstractAsyncContextManager[None]:
        """Around the handler of a TAKEN update: keeps the claim alive while it runs."""

    async def close(self) -> None: ...


class MemoryLedger:
    """Update ids of this process, the most recent `remember` of them (one process, no restart)."""

    def __init__(self, remember: int = 100_000) -> None:
        self._seen: OrderedDict[int, bool] = OrderedDict()  # update id -> finished
        self._remember = remember

    async def claim(self, update_id: int) -> Claim:
        if update_id in self._seen:
            return Claim.DONE if self._seen[update_id] else Claim.BUSY
        self._seen[update_id] = False
        if len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        return Claim.TAKEN

    async def finish(self, update_id: int) -> None:
        self._seen[update_id] = True

    async def release(self, update_id: int) -> None:
        self._seen.pop(update_id, None)

    def holding(self, update_id: int) -> contextlib.AbstractAsyncContextManager[None]:
        return contextlib.nullcontext()  # a claim in memory never lapses

    async def close(self) -> None:
        return None


# One round trip, atomic: take a free (or lapsed) id, else say whether it is done or still being handled.
_CLAIM = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
local held = redis.call('GET', KEYS[1])
if held and string.sub(held, 1, 5) == 'done:' then return 0 end
return 2
"""
_CLAIM_RESULT = {1: Claim.TAKEN, 0: Claim.DONE, 2: Claim.BUSY}

# Extend the lease only while this process still holds the claim (not after it lapsed and another took it).
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


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
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        timeout: float = 2.0,
        pool_wait_seconds: float = 10.0,
        retry_seconds: float = 1.0,
        max_connections: int = 32,
        owner: str | None = None,
    ) -> None:
        from redis.asyncio import BlockingConnectionPool, Redis

        # A burst of updates waits for a pooled connection instead of failing over to this process's memory
        # (which would let a repeat on another process through); each update takes two calls (claim, finish),
        # so on a busy host a burst can queue for longer than one call's `timeout`.
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=pool_wait_seconds,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
        )
        self.redis: Redis = Redis.from_pool(pool)  # owns the pool: close() disconnects it
        self._claim = self.redis.register_script(_CLAIM)
        self._renew = self.redis.register_script(_RENEW)
        self._in_redis: set[int] = set()  # ids this process claimed in Redis and has not finished
        self.prefix = f"groupcart:update:{namespace}:"
        self.ttl_seconds = ttl_seconds
        self.lease_ms = max(1, int(lease_seconds * 1000))
        self.retry_seconds = retry_seconds
        self._fallback = MemoryLedger()
        # Which process handled it ("host:pid", for the operator); a lease is renewed only by its owner.
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self._down_until = 0.0

    def key(self, update_id: int) -> str:
        return f"{self.prefix}{update_id}"

    async def claim(self, update_id: int) -> Claim:
        if time.monotonic() >= self._down_until:
            try:
                result = await self._claim(keys=[self.key(update_id)], args=[RUNNING + self.owner, self.lease_ms])
            except Exception as exc:
                log.warning("Redis unavailable, update %s de-duplicated in this process only: %r", update_id, exc)
                self._down_until = time.monotonic() + self.retry_seconds
            else:
                claim = _CLAIM_RESULT[int(result)]
                if claim is Claim.TAKEN:
                    await self._fallback.claim(update_id)  # remembered here too, for a Redis outage to come
                    self._in_redis.add(update_id)
                return claim
        return await self._fallback.claim(update_id)

    @contextlib.asynccontextmanager
    async def holding(self, update_id: int) -> AsyncIterator[None]:
        if update_id not in self._in_redis:
            yield  # claimed in this process's memory during a Redis outage: nothing to renew
            return
        renewer = asyncio.create_task(self._keep(update_id), name=f"update-lease-{update_id}")
        try:
            yield
        finally:
            await cancel_and_wait(renewer)

    async def _keep(self, update_id: int) -> None:
        every = self.lease_ms / 3000
        while True:
            await asyncio.sleep(every)
            try:
                held = await self._renew(keys=[self.key(update_id)], args=[RUNNING + self.owner, self.lease_ms])
            except Exception as exc:  # Redis away for a moment: try again at the next beat, the lease still runs
                raise_if_cancelling(exc)
                log.info("update %s lease not renewed: %r", update_id, exc)
                continue
            if not held:
                log.warning(
                    "update %s: lease lapsed before its handler finished (another process may take it)", update_id
                )
                return

    async def finish(self, update_id: int) -> None:
        self._in_redis.discard(update_id)
        await self._fallback.finish(update_id)
        try:
            await self.redis.set(self.key(update_id), DONE + self.owner, ex=self.ttl_seconds)
        except Exception as exc:
            # The lease lapses and a redelivery is handled again: the store's idempotent services absorb it.
            log.warning("Redis unavailable, update %s not marked done: %r", update_id, exc)

    async def release(self, update_id: int) -> None:
        self._in_redis.discard(update_id)
        await self._fallback.release(update_id)
        try:
            await self.redis.delete(self.key(update_id))
        except Exception as exc:
            log.warning("Redis unavailable, update %s stays claimed until its lease lapses: %r", update_id, exc)

    async def close(self) -> None:
        await self.redis.aclose()


def build_ledger(redis_url: str | None, namespace: str, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> UpdateLedger:
    if redis_url:
        return RedisLedger(redis_url, namespace, lease_seconds=lease_seconds)
    return MemoryLedger()


# The webhook passes a Delivery per request (under this key in the handler data) to learn whether the update
# was left to a live claimant: then it answers 503 so that Telegram delivers it again later.
DELIVERY_KEY = "update_delivery"


@dataclass
class Delivery:
    busy: bool = False


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
        claim = await self.ledger.claim(event.update_id)
        if claim is not Claim.TAKEN:
            delivery = data.get(DELIVERY_KEY)
            if claim is Claim.BUSY and isinstance(delivery, Delivery):
                delivery.busy = True
            return None
        try:
            async with self.ledger.holding(event.update_id):
                result = await handler(event, data)
        except Exception:
            # The webhook answers 500 and Telegram delivers the update again: that delivery must be handled.
            await self.ledger.release(event.update_id)
            raise
        await self.ledger.finish(event.update_id)
        return result


def install(dp: Dispatcher, ledger: UpdateLedger | None = None) -> DuplicateUpdateMiddleware:
    """The guard as the outermost update middleware, around aiogram's error middleware: an error the errors
    router answers (the user got a message, the webhook says 200) finishes the update like a success; only an
    error that reaches the webhook (500, so Telegram delivers again) releases it."""
    guard = DuplicateUpdateMiddleware(ledger)
    register_outermost(dp.update.outer_middleware, guard)
    return guard
