"""aiogram FSM storage in our database, so a dialogue in progress (delivery details, a group-buy wizard)
survives a restart. With `redis.url` configured, bot.app uses aiogram's RedisStorage instead.

aiogram reads the state on every update, which made that read the largest cost of a tap storm. Writes go
through to the database and reads are served from a per-process cache, which is exact for one process
receiving a user's updates (long polling allows only one). Several processes behind a webhook should share
state through Redis; the short TTL bounds how stale a cache entry may get if they do not.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey

from store import conversation
from store.db import Database

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
