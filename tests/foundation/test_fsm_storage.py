"""Conversation state survives a restart: in the database by default, in Redis when redis.url is set."""

from __future__ import annotations

import uuid

from aiogram.fsm.storage.base import StorageKey

from bot.app import build_storage
from bot.config import Settings
from bot.fsm_storage import DatabaseStorage
from store.db import Database
from tests.backends import REDIS_URL, require_redis


def _key(user_id: int) -> StorageKey:
    return StorageKey(bot_id=1, chat_id=user_id, user_id=user_id)


async def test_database_storage_survives_a_new_process(any_db: Database, settings: Settings) -> None:
    first = build_storage(settings, any_db)
    assert isinstance(first, DatabaseStorage)
    await first.set_state(_key(5), "Checkout:address")
    await first.set_data(_key(5), {"name": "Ann", "phone": "+8613800000000"})
    await first.close()
    # A new storage object over the same database stands in for the restarted bot.
    second = DatabaseStorage(any_db)
    assert await second.get_state(_key(5)) == "Checkout:address"
    assert await second.get_data(_key(5)) == {"name": "Ann", "phone": "+8613800000000"}
    await second.set_state(_key(5), None)
    await second.set_data(_key(5), {})
    assert await second.get_state(_key(5)) is None
    assert await second.get_data(_key(5)) == {}
    assert await second.get_state(_key(6)) is None


async def test_redis_storage_when_configured(db: Database, settings: Settings) -> None:
    require_redis()
    configured = settings.model_copy(update={"redis": settings.redis.model_copy(update={"url": REDIS_URL})})
    storage = build_storage(configured, db)
    assert type(storage).__name__ == "RedisCachedStorage"
    user_id = uuid.uuid4().int % 10**9
    try:
        await storage.set_state(_key(user_id), "Checkout:phone")
        await storage.set_data(_key(user_id), {"step": 2})
        await storage.close()
        again = build_storage(configured, db)
        assert await again.get_state(_key(user_id)) == "Checkout:phone"
        assert await again.get_data(_key(user_id)) == {"step": 2}
        await again.set_state(_key(user_id), None)
        await again.set_data(_key(user_id), {})
        await again.close()
    finally:
        await storage.close()
