"""One send budget for all processes: two schedules with their own Redis clients (two processes) reserving at
once never exceed the bot-wide, per-group or per-chat limit between them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config.sections import PacingSettings
from bot.shared_pacing import RedisSendSchedule
from tests.backends import REDIS_URL, require_redis

pytestmark = pytest.mark.redis

PACING = PacingSettings(per_chat_per_second=0.9, per_chat_burst=3, per_group_per_minute=19, global_per_second=28)


@pytest.fixture
async def two_processes() -> AsyncIterator[tuple[RedisSendSchedule, RedisSendSchedule]]:
    require_redis()
    namespace = uuid.uuid4().hex
    pair = (RedisSendSchedule(PACING, REDIS_URL, namespace), RedisSendSchedule(PACING, REDIS_URL, namespace))
    try:
        yield pair
    finally:
        names = [name async for name in pair[0].redis.scan_iter(match=f"{pair[0].prefix}*")]
        if names:
            await pair[0].redis.delete(*names)
        for schedule in pair:
            await schedule.close()


async def _slots(schedule: RedisSendSchedule, key: str) -> list[float]:
    pairs: Any = await schedule.redis.zrange(f"{schedule.prefix}{key}", 0, -1, withscores=True)
    return [float(score) for _, score in pairs]


def _most_in_any(slots: list[float], span: float) -> int:
    ordered = sorted(slots)
    return max(sum(1 for s in ordered[i:] if s < start + span - 1e-6) for i, start in enumerate(ordered))


async def test_bot_wide_budget_is_shared(two_processes: tuple[RedisSendSchedule, RedisSendSchedule]) -> None:
    first, second = two_processes
    # 120 private chats, half reserved by each process, all at once.
    waits = await asyncio.gather(
        *((first if i % 2 else second).claim(9_000 + i, counts_for_chat=True) for i in range(120))
    )
    slots = await _slots(first, "all")
    assert len(slots) == 120
    assert _most_in_any(slots, 1.0) <= 28  # alone, each process would have allowed 28: together 56 a second
    assert max(waits) >= 3.0  # 120 sends at 28/s take about four seconds, whoever sends them


async def test_group_and_chat_limits_are_shared(two_processes: tuple[RedisSendSchedule, RedisSendSchedule]) -> None:
    first, second = two_processes
    chat_waits = sorted(
        await asyncio.gather(*((first, second)[i % 2].claim(4_242, counts_for_chat=True) for i in range(8)))
    )
    # a burst of three, then one per 1/0.9 s: the eighth waits about five intervals, not half of that
    assert chat_waits[2] < 0.5 and chat_waits[-1] >= 5 / 0.9 - 0.5
    group = -100_777  # slots are handed out in arrival order: this comes after the chat's
    await asyncio.gather(*((first, second)[i % 2].claim(group, counts_for_chat=True) for i in range(40)))
    group_slots = await _slots(first, f"group:{group}")
    assert len(group_slots) == 40
    assert _most_in_any(group_slots, 60.0) <= 19
