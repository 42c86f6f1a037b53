"""With redis.url, a conversation whose steps land on different processes keeps every field: each step reads
what the previous step wrote on the other process (no per-process cache that could serve an older copy)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import StorageKey

from bot.app import build_storage
from bot.config import Settings
from bot.fsm_storage import RedisCachedStorage
from store.db import Database
from tests.backends import REDIS_URL, require_redis

pytestmark = pytest.mark.redis

STEPS = ("name", "phone", "address", "note", "slot", "coupon", "pay")


@pytest.fixture
async def two_processes(any_db: Database, settings: Settings) -> AsyncIterator[tuple[RedisCachedStorage, ...]]:
    """Two storages as two worker processes build them: one database, separate Redis clients."""
    require_redis()
    configured = settings.model_copy(update={"redis": settings.redis.model_copy(update={"url": REDIS_URL})})
    pair = (build_storage(configured, any_db), build_storage(configured, any_db))
    assert all(isinstance(s, RedisCachedStorage) for s in pair)
    try:
        yield pair  # type: ignore[misc]
    finally:
        for storage in pair:
            await storage.close()


async def test_steps_alternating_between_processes_keep_every_field(
    two_processes: tuple[RedisCachedStorage, RedisCachedStorage],
) -> None:
    user = uuid.uuid4().int % 10**9
    key = StorageKey(bot_id=1, chat_id=user, user_id=user)
    contexts = [FSMContext(storage, key) for storage in two_processes]
    for contexts_ in (contexts, contexts[::-1]):  # each process reads before the other writes, both ways round
        for context in contexts_:
            await context.get_state()
            await context.get_data()
    for step, field in enumerate(STEPS):
        here = contexts[step % 2]
        assert await here.get_state() == (f"Checkout:{STEPS[step - 1]}" if step else None)
        assert set(await here.get_data()) == set(STEPS[:step])  # everything the other process wrote
        await here.update_data({field: f"{field}-{user}"})
        await here.set_state(f"Checkout:{field}")
    for context in contexts:
        assert await context.get_data() == {field: f"{field}-{user}" for field in STEPS}
        assert await context.get_state() == f"Checkout:{STEPS[-1]}"
    await contexts[0].clear()
    assert await contexts[1].get_state() is None and await contexts[1].get_data() == {}


async def test_without_redis_the_one_process_cache_is_kept_out_of_several_workers(settings: Settings) -> None:
    """The database storage caches per process (exact for one process only): `--workers N` refuses to run
    without redis.url, so that cache never serves several processes."""
    from bot import workers

    assert settings.redis.url is None
    refused = workers.refusal(settings, 2, webhook=True)
    assert refused is not None and "redis.url" in refused
