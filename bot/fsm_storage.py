"""aiogram FSM storage in our database, so a dialogue in progress (delivery details, a group-buy wizard)
survives a restart. With `redis.url` configured, bot.app puts Redis in front of it (RedisCachedStorage): the
database stays the record, so a Redis restart (even one without persistence) loses no conversation.

aiogram reads the state on every update, which made that read the largest cost of a tap storm. Writes go
through to the database and reads are served from a per-process cache, which is exact for one process
receiving a user's updates (long polling allows only one). Several processes behind a webhook should share
state through Redis; the short TTL bounds how stale a cache entry may get if they do not.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, cast

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey

from store import conversation
from store.db import Database

log = logging.getLogger(__name__)

_MISSING = object()


class _TTLCache:
    def __init__(self, size: int, ttl: float) -> None:
        self.size = size
        self.ttl = ttl
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def get(self, key: str) -> Any:
        item = self._items.get(key)
        if item is None or time.monotonic() - item[0] > self.ttl:
            return _MISSING
        self._items.move_to_end(key)
        return item[1]

    def put(self, key: str, value: Any) -> None:
        self._items[key] = (time.monotonic(), value)
        self._items.move_to_end(key)
        if len(self._items) > self.size:
            self._items.popitem(last=False)


class DatabaseStorage(BaseStorage):
    def __init__(
        self, db: Database, key_builder: KeyBuilder | None = None, *, cache_size: int = 50_000, cache_ttl: float = 60
    ) -> None:
        self.db = db
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)
        self._states = _TTLCache(cache_size, cache_ttl)
        self._data = _TTLCache(cache_size, cache_ttl)

    def _key(self, key: StorageKey) -> str:
        return self.key_builder.build(key)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        name = self._key(key)
        await conversation.set_state(self.db, name, value)
        self._states.put(name, value)

    async def get_state(self, key: StorageKey) -> str | None:
        name = self._key(key)
        cached = self._states.get(name)
        if cached is not _MISSING:
            return cached
        value = await conversation.get_state(self.db, name)
        self._states.put(name, value)
        return value

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name = self._key(key)
        await conversation.set_data(self.db, name, dict(data))
        self._data.put(name, dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        name = self._key(key)
        cached = self._data.get(name)
        if cached is not _MISSING:
            return dict(cached)
        value = await conversation.get_data(self.db, name)
        self._data.put(name, dict(value))
        return value

    async def close(self) -> None:
        return None


class RedisCachedStorage(BaseStorage):
    """Conversation state in the database, cached in Redis for every process to share.

    Writes go to the database first (the record), then to Redis. Reads are served by Redis; a miss is read
    from the database and cached with SET NX, so a concurrent write (which overwrites) always wins over a
    reader's older copy. While Redis is unreachable every read and write goes to the database alone, and the
    update is handled as usual (nothing is routed to the wrong handler because a state read failed).

    A cache entry can only be stale after Redis missed writes (it was down, or came back from an older
    snapshot). So after any Redis failure, and after reconnecting to a restarted Redis (a new run_id), the
    cached conversations are dropped before Redis is trusted again.
    """

    def __init__(
        self,
        db: Database,
        url: str,
        key_builder: KeyBuilder | None = None,
        *,
        timeout: float = 2.0,
        ttl_seconds: int = 86_400,
        retry_seconds: float = 1.0,
    ) -> None:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)
        # The database is the record: no per-process cache in front of it, which other processes could outdate.
        self.db_storage = DatabaseStorage(db, self.key_builder, cache_size=0, cache_ttl=0)
        self.redis: Redis = Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 0),  # a failure must be seen (it makes the cache suspect), not hidden
            redis_connect_func=self._on_connect,
        )
        self.ttl_seconds = ttl_seconds
        self.retry_seconds = retry_seconds
        self._suspect = False  # cached entries may be stale: drop them before trusting Redis again
        self._down_until = 0.0  # after a failure, Redis is skipped for a moment instead of timing out per update
        self._run_id: str | None = None
        self._flush_lock = asyncio.Lock()

    # --- redis health -----------------------------------------------------------------------------------

    async def _on_connect(self, connection: Any) -> None:
        from redis.exceptions import ResponseError

        await connection.on_connect()
        try:
            await connection.send_command("INFO", "server")
            info = await connection.read_response()
        except ResponseError:  # INFO not permitted for this user: restarts are then noticed through failures
            return
        text = info.decode() if isinstance(info, bytes) else str(info)
        run_id = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("run_id:")), "")
        if self._run_id is not None and run_id != self._run_id:
            log.warning("Redis restarted (run_id changed): dropping cached conversation state")
            self._suspect = True
        self._run_id = run_id

    def _failed(self, exc: Exception) -> None:
        if not self._suspect:
            log.warning("Redis unavailable, conversation state served from the database: %r", exc)
        self._suspect = True
        self._down_until = time.monotonic() + self.retry_seconds

    async def _usable(self) -> bool:
        if time.monotonic() < self._down_until:
            return False
        if not self._suspect:
            return True
        async with self._flush_lock:
            if self._suspect:
                try:
                    await self._drop_cached()
                except Exception as exc:
                    self._failed(exc)
                    return False
                self._suspect = False
                log.info("Redis is back: conversation state cache dropped and in use again")
        return True

    async def _drop_cached(self) -> None:
        prefix = getattr(self.key_builder, "prefix", "fsm")
        batch: list[Any] = []
        async for name in self.redis.scan_iter(match=f"{prefix}:*", count=1000):
            batch.append(name)
            if len(batch) >= 1000:
                await self.redis.unlink(*batch)
                batch = []
        if batch:
            await self.redis.unlink(*batch)

    async def _cache_get(self, name: str) -> Any:
        if not await self._usable():
            return _MISSING
        try:
            raw = await self.redis.get(name)
        except Exception as exc:
            self._failed(exc)
            return _MISSING
        return _MISSING if raw is None else json.loads(raw)

    async def _cache_put(self, name: str, value: Any, *, only_new: bool) -> None:
        if not await self._usable():
            return
        try:
            await self.redis.set(name, json.dumps(value), ex=self.ttl_seconds, nx=only_new)
        except Exception as exc:
            self._failed(exc)

    # --- aiogram storage ------------------------------------------------------------------------------

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self.db_storage.set_state(key, value)
        await self._cache_put(self.key_builder.build(key, "state"), [value], only_new=False)

    async def get_state(self, key: StorageKey) -> str | None:
        name = self.key_builder.build(key, "state")
        cached = await self._cache_get(name)
        if cached is not _MISSING:
            return cast(str | None, cached[0])
        value = await self.db_storage.get_state(key)
        await self._cache_put(name, [value], only_new=True)
        return value

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self.db_storage.set_data(key, data)
        await self._cache_put(self.key_builder.build(key, "data"), dict(data), only_new=False)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        name = self.key_builder.build(key, "data")
        cached = await self._cache_get(name)
        if cached is not _MISSING:
            return dict(cached)
        value = await self.db_storage.get_data(key)
        await self._cache_put(name, value, only_new=True)
        return value

    async def close(self) -> None:
        await self.redis.aclose()
