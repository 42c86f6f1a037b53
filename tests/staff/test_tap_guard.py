"""The repeated-tap guard across two bot processes: with Redis, a double-click whose two taps reach different
processes still acts once; without Redis each process decides alone (and a later tap acts again)."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace
from typing import Any

from bot import tap_guard
from tests.backends import REDIS_URL, require_service


def _query(data: str, message_id: int = 7) -> Any:
    return SimpleNamespace(
        from_user=SimpleNamespace(id=42),
        message=SimpleNamespace(chat=SimpleNamespace(id=42), message_id=message_id),
        inline_message_id=None,
        data=data,
    )


def _ctx() -> Any:
    return SimpleNamespace(taps=tap_guard.TapMemory())


async def test_two_processes_share_the_decision_through_redis() -> None:
    require_service("redis", "127.0.0.1", 6379)
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    storage = SimpleNamespace(redis=redis)
    data = f"pd:add:{uuid.uuid4().hex[:8]}"
    try:
        first, second = await asyncio.gather(
            tap_guard.first_tap(_ctx(), _query(data), storage), tap_guard.first_tap(_ctx(), _query(data), storage)
        )
        assert sorted([first, second]) == [False, True], "one of the two processes acts"
        assert await tap_guard.first_tap(_ctx(), _query(data, message_id=8), storage), "another message is another tap"
    finally:
        await redis.aclose()


async def test_in_one_process_a_repeat_within_the_window_is_dropped_and_later_acts() -> None:
    ctx = _ctx()
    assert await tap_guard.first_tap(ctx, _query("x"), window=0.2)
    assert not await tap_guard.first_tap(ctx, _query("x"), window=0.2)
    assert await tap_guard.first_tap(ctx, _query("y"), window=0.2), "another button is another tap"
    for key in ctx.taps.seen:
        ctx.taps.seen[key] -= 1.0
    assert await tap_guard.first_tap(ctx, _query("x"), window=0.2), "after the window a tap acts again"


async def test_a_released_tap_lets_the_next_one_act_in_every_process() -> None:
    """A tap answered "tap again" (nothing was done) is released: the next tap acts at once, even in another
    process, instead of being dropped as its repeat."""
    require_service("redis", "127.0.0.1", 6379)
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    storage = SimpleNamespace(redis=redis)
    data = f"fs:{uuid.uuid4().hex[:8]}"
    here, there = _ctx(), _ctx()
    try:
        assert await tap_guard.first_tap(here, _query(data), storage)
        assert not await tap_guard.first_tap(there, _query(data), storage)
        await tap_guard.release(here, _query(data), storage)
        assert await tap_guard.first_tap(there, _query(data), storage), "another process acts after the release"
        await tap_guard.release(there, _query(data), storage)
        assert await tap_guard.first_tap(here, _query(data), storage), "and so does this one"
    finally:
        await redis.delete(f"tap:{tap_guard.tap_key(_query(data))}")
        await redis.aclose()
