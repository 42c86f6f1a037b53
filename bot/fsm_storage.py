"""aiogram FSM storage in our database, so a dialogue in progress (delivery details, a group-buy wizard)
survives a restart. With `redis.url` configured, bot.app uses aiogram's RedisStorage instead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey

from store import conversation
from store.db import Database


class DatabaseStorage(BaseStorage):
    def __init__(self, db: Database, key_builder: KeyBuilder | None = None) -> None:
        self.db = db
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)

    def _key(self, key: StorageKey) -> str:
        return self.key_builder.build(key)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await conversation.set_state(self.db, self._key(key), value)

    async def get_state(self, key: StorageKey) -> str | None:
        return await conversation.get_state(self.db, self._key(key))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await conversation.set_data(self.db, self._key(key), dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return await conversation.get_data(self.db, self._key(key))

    async def close(self) -> None:
        return None
