"""`groupcart run --webhook --workers N` for real: N worker processes on one port (SO_REUSEPORT) on PostgreSQL
and Redis, fed by the emulator's webhook delivery; and the refusal to run several without redis.url."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.emulator.client import EmulatorClient
from bot.emulator.server import EmulatorConfig, start_emulator
from bot.runner import SECRET_HEADER
from bot.worker_cluster import ROOT, LocalWorkers, clean_env, forget, free_port_block
from bot.workers import webhook_env
from tests.backends import REDIS_URL, fresh_database_url, require_redis

SECRET = "workers-secret_1"
USERS = 12


async def test_several_workers_without_redis_refuse_naming_redis_url() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--webhook", "--workers", "2",
        cwd=ROOT, stderr=asyncio.subprocess.PIPE,
        env=clean_env(TELEGRAM_BOT_TOKEN="123456:TEST", TELEGRAM_WEBHOOK_SECRET=SECRET),
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert b"redis.url" in err


@pytest.mark.postgres
@pytest.mark.redis
async def test_two_workers_behind_one_port_handle_each_update_once(tmp_path: Path) -> None:
    require_redis()
    emulator = await start_emulator(EmulatorConfig(flood_limits=False))
    queue = emulator.emulator.queue
    # Telegram spreads deliveries over up to max_connections connections; a fresh connection per delivery lets
    # the kernel hand them to either worker (one kept-alive connection would always reach the same one).
    queue._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))
    pushed: list[dict[str, Any]] = []
    real_push = queue.push

    async def recording_push(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = await real_push(kind, payload)
        pushed.append(update)
        return update

    queue.push = recording_push  # type: ignore[method-assign]
    client = EmulatorClient(emulator.base_url)
    port = free_port_block(3)  # the webhook port and each worker's own
    # The emulator's bot and update ids are the same every run: earlier runs' claims must not count.
    redis = Redis.from_url(REDIS_URL)
    ledger = f"groupcart:update:{emulator.token.split(':')[0]}:"
    await forget(redis, ledger)
    async with fresh_database_url("postgres", tmp_path) as db_url:
        env = clean_env(
            **webhook_env(
                token=emulator.token,
                secret=SECRET,
                database_url=db_url,
                redis_url=REDIS_URL,
                api_base=emulator.base_url,
                port=port,
            )
        )
        cluster = LocalWorkers(env, 2, port)
        try:
            await cluster.start(timeout=120)
            await client.wait_for(lambda: queue.webhook.url, timeout=30)
            users = [await client.user(f"Shopper {i}", id=8_100 + i) for i in range(USERS)]
            for user in users:
                await user.send("/help")
            try:
                await client.wait_for(lambda: len(pushed) == USERS and not queue.pending, timeout=60)
            except TimeoutError:
                raise AssertionError(
                    f"{len(pushed)} pushed, {len(queue.pending)} pending; {queue.webhook_info()}; " + cluster.tail(20)
                ) from None
            # Telegram delivers every update again, twice, on new connections racing each other.
            url = cluster.hook_url()
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:

                async def redeliver(update: dict[str, Any]) -> int:
                    async with http.post(url, json=update, headers={SECRET_HEADER: SECRET}) as resp:
                        return resp.status

                statuses = await asyncio.gather(*(redeliver(u) for u in pushed for _ in range(2)))
            assert set(statuses) == {200}

            async def replies() -> Counter[int]:
                calls = await client.calls("sendMessage")
                return Counter(int(c["params"]["chat_id"]) for c in calls)

            try:
                await client.wait_for(lambda: _all_answered(replies()), timeout=60)
            except TimeoutError:
                raise AssertionError(f"{await replies()}; " + cluster.tail()) from None
            await asyncio.sleep(1.0)  # a second answer to anyone would have arrived by now
            assert await replies() == Counter({user.id: 1 for user in users})
            assert cluster.traceback() is None, cluster.traceback()
            # Both workers took their share (each claim records the process that handled the update).
            owners = await redis.mget([f"{ledger}{u['update_id']}" for u in pushed])
            assert None not in owners and len(set(owners)) == 2, owners
            assert all(o.startswith(b"done:") for o in owners), owners
        finally:
            code = await cluster.stop()
            await forget(redis, ledger)
            await redis.aclose()
            await client.close()
            await emulator.stop()
        assert code == 0, cluster.tail()


async def _all_answered(counts: Any) -> bool:
    return len(await counts) == USERS
