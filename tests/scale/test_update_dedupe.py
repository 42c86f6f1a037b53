"""With redis.url set, an update Telegram delivers twice (to two processes behind the webhook, or again after a
restart) is handled once: the claim lives in Redis (SET NX EX), not in one process's memory."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiogram.types import Chat, Message, Update, User
from redis.asyncio import Redis

from bot.app import App, create_app
from bot.config import Settings
from bot.update_guard import REMEMBER_SECONDS, TELEGRAM_RETRY_WINDOW_SECONDS, Claim, RedisLedger
from store.db import Database
from tests.backends import REDIS_URL, require_redis
from tests.stubs import StubSession, stub_bot

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[2]


async def test_two_processes_claim_each_update_once() -> None:
    require_redis()
    namespace = uuid.uuid4().hex
    count = 2_000
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.scale.dedupe_worker",
            REDIS_URL,
            namespace,
            str(count),
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ},
        )
        for _ in range(2)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert (await asyncio.wait_for(proc.stdout.readline(), 60)).strip() == b"ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
        outputs = [await asyncio.wait_for(proc.communicate(), 60) for proc in procs]
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert [proc.returncode for proc in procs] == [0, 0]
    handled = [[int(x) for x in out.split()] for out, _ in outputs]
    assert sorted(handled[0] + handled[1]) == list(range(1, count + 1))  # each once, none lost
    # A restarted process remembers nothing itself: Redis still turns every redelivery away.
    again = RedisLedger(REDIS_URL, namespace)
    try:
        assert {await again.claim(i) for i in range(1, count + 1)} == {Claim.DONE}
        ttl = await again.redis.ttl(again.key(1))
        assert TELEGRAM_RETRY_WINDOW_SECONDS < ttl <= REMEMBER_SECONDS
    finally:
        await again.redis.delete(*[again.key(i) for i in range(1, count + 1)])
        await again.close()


def _help(update_id: int, user_id: int) -> Update:
    user = User(id=user_id, is_bot=False, first_name="Ann", language_code="en")
    chat = Chat(id=user_id, type="private")
    message = Message(
        message_id=update_id, date=datetime(2026, 1, 1, tzinfo=UTC), chat=chat, from_user=user, text="/help"
    )
    return Update(update_id=update_id, message=message)


async def _app(settings: Settings, db: Database) -> tuple[App, StubSession]:
    bot, session = stub_bot()
    return await create_app(settings, "123456:TEST", db=db, migrate=False, bot=bot), session


async def _shut(app: App) -> None:
    await app.dp.storage.close()
    await app.ctx.updates.close()


async def test_two_apps_and_a_restart_handle_each_update_once(any_db: Database, settings: Settings) -> None:
    require_redis()
    configured = settings.model_copy(update={"redis": settings.redis.model_copy(update={"url": REDIS_URL})})
    first, first_calls = await _app(configured, any_db)
    second, second_calls = await _app(configured, any_db)
    base = uuid.uuid4().int % 10**8  # update ids no earlier run of this test claimed
    updates = [_help(base + i, 7_000 + i) for i in range(20)]
    try:
        # Every update reaches both processes at once, as a webhook retry racing the first delivery would.
        await asyncio.gather(*(app.dp.feed_update(app.bot, u) for u in updates for app in (first, second)))
        replies = [c for c in first_calls.sent + second_calls.sent if c[0] == "sendMessage"]
        assert sorted(params["chat_id"] for _, params in replies) == [7_000 + i for i in range(20)]
        # The first process restarts (its memory gone) and Telegram delivers everything once more.
        await _shut(first)
        first, first_calls = await _app(configured, any_db)
        await asyncio.gather(*(first.dp.feed_update(first.bot, u) for u in updates))
        assert [c for c in first_calls.sent if c[0] == "sendMessage"] == []
        # A new update is still handled (the guard drops repeats, not traffic).
        await first.dp.feed_update(first.bot, _help(base + 100, 7_100))
        assert [c[1]["chat_id"] for c in first_calls.sent if c[0] == "sendMessage"] == [7_100]
    finally:
        await _shut(first)
        await _shut(second)
        redis = Redis.from_url(REDIS_URL)
        await redis.delete(*[first.ctx.updates.key(base + i) for i in (*range(20), 100)])  # type: ignore[attr-defined]
        await redis.aclose()


async def test_a_claim_in_progress_is_busy_until_its_lease_lapses_then_taken_done_is_final() -> None:
    """The two states of a claim: a live claimant's update is not handled twice (BUSY: the webhook asks for a
    later redelivery), a dead claimant's is handled again once its lease lapses, a finished one never again."""
    require_redis()
    namespace = uuid.uuid4().hex
    dead = RedisLedger(REDIS_URL, namespace, lease_seconds=0.5)
    other = RedisLedger(REDIS_URL, namespace, lease_seconds=0.5)
    try:
        assert await dead.claim(1) is Claim.TAKEN
        assert await other.claim(1) is Claim.BUSY  # the claimant may still answer
        assert (await other.redis.get(other.key(1))).decode() == f"run:{dead.owner}"
        # The claimant never finishes (killed): after the lease the update is someone else's to handle.
        deadline = asyncio.get_running_loop().time() + 10
        while await other.claim(1) is Claim.BUSY:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.1)
        await other.finish(1)
        assert (await other.redis.get(other.key(1))).decode() == f"done:{other.owner}"
        assert TELEGRAM_RETRY_WINDOW_SECONDS < await other.redis.ttl(other.key(1)) <= REMEMBER_SECONDS
        await asyncio.sleep(0.7)  # longer than the lease: done stays done
        assert await dead.claim(1) is Claim.DONE and await other.claim(1) is Claim.DONE
        # A handler that failed gives the update back at once.
        assert await dead.claim(2) is Claim.TAKEN
        await dead.release(2)
        assert await other.claim(2) is Claim.TAKEN
    finally:
        await dead.redis.delete(dead.key(1), dead.key(2))
        await dead.close()
        await other.close()


async def test_a_slow_handler_keeps_its_claim_past_the_lease() -> None:
    """A handler slower than the lease (a database stalled for a moment) renews its claim while it runs: the same
    update redelivered meanwhile to another process is BUSY the whole time, never handled twice; once it
    finishes the update is DONE. A claim that lapsed and went to another process is not renewed by the first."""
    require_redis()
    namespace = uuid.uuid4().hex
    # Two processes: owners as two hosts would name them (one process has one ledger).
    slow = RedisLedger(REDIS_URL, namespace, lease_seconds=0.6, owner="host-a:1")
    other = RedisLedger(REDIS_URL, namespace, lease_seconds=0.6, owner="host-b:1")
    try:
        assert await slow.claim(1) is Claim.TAKEN
        seen: list[Claim] = []

        async def redeliveries() -> None:
            for _ in range(20):  # 2 s: more than three leases
                seen.append(await other.claim(1))
                await asyncio.sleep(0.1)

        async with slow.holding(1):
            await redeliveries()
        assert set(seen) == {Claim.BUSY}
        await slow.finish(1)
        assert await other.claim(1) is Claim.DONE

        # The claimant's lease lapsed (it stalled without renewing) and another process took the update over.
        assert await slow.claim(2) is Claim.TAKEN
        await asyncio.sleep(0.8)
        assert await other.claim(2) is Claim.TAKEN
        async with slow.holding(2):
            await asyncio.sleep(0.5)  # its renewal finds the claim is not its own any more
        assert (await other.redis.get(other.key(2))).decode() == f"run:{other.owner}"
    finally:
        await slow.redis.delete(slow.key(1), slow.key(2))
        await slow.close()
        await other.close()
