"""RedisCachedStorage: the database is the record, Redis a cache shared by processes that is never trusted
after it may have missed a write."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from aiogram.fsm.storage.base import StorageKey
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.fsm_storage import RedisCachedStorage
from store import conversation
from store.db import Database
from tests.backends import REDIS_URL, require_redis

pytestmark = pytest.mark.redis


def _key() -> StorageKey:
    user = uuid.uuid4().int % 10**9
    return StorageKey(bot_id=1, chat_id=user, user_id=user)


@pytest.fixture
async def storages(any_db: Database) -> AsyncIterator[tuple[RedisCachedStorage, RedisCachedStorage]]:
    require_redis()
    first, second = RedisCachedStorage(any_db, REDIS_URL), RedisCachedStorage(any_db, REDIS_URL)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_processes_share_state_and_the_database_keeps_it(
    storages: tuple[RedisCachedStorage, RedisCachedStorage], any_db: Database
) -> None:
    first, second = storages
    key = _key()
    await first.set_state(key, "CheckoutSG:phone")
    await first.set_data(key, {"ck_name": "Ann"})
    assert await second.get_state(key) == "CheckoutSG:phone"
    assert await second.get_data(key) == {"ck_name": "Ann"}
    name = first.key_builder.build(key)
    assert await conversation.get_state(any_db, name) == "CheckoutSG:phone"
    await second.set_state(key, None)
    assert await first.get_state(key) is None


async def test_a_write_redis_missed_never_reads_stale(
    storages: tuple[RedisCachedStorage, RedisCachedStorage], monkeypatch: pytest.MonkeyPatch
) -> None:
    storage, _ = storages
    key = _key()
    await storage.set_state(key, "CheckoutSG:name")
    assert await storage.get_state(key) == "CheckoutSG:name"  # cached in Redis now

    real_set = storage.redis.set

    async def broken_set(*args: object, **kwargs: object) -> object:
        raise RedisConnectionError("connection reset")

    monkeypatch.setattr(storage.redis, "set", broken_set)
    await storage.set_state(key, "CheckoutSG:phone")  # the database has it; Redis still holds the old state
    monkeypatch.setattr(storage.redis, "set", real_set)
    storage._down_until = 0.0  # the pause after a failure is not what this test is about
    assert await storage.get_state(key) == "CheckoutSG:phone"
    assert await storage.get_state(key) == "CheckoutSG:phone"  # and Redis serves the right one again
    assert await storage.redis.get(storage.key_builder.build(key, "state")) is not None
