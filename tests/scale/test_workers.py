"""`groupcart run --webhook --workers N` for real: N worker processes on one port (SO_REUSEPORT) on PostgreSQL
and Redis, fed by the emulator's webhook delivery; and the refusal to run several without redis.url."""

from __future__ import annotations

import asyncio
import os
import signal
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
from bot.workers import webhook_env
from tests.backends import REDIS_URL, fresh_database_url, require_redis
from tests.private_services import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "workers-secret_1"
USERS = 12


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROUPCART_") and k != "DATABASE_URL"}
    return {**env, "GROUPCART_CONFIG": str(ROOT / "config.yaml"), **extra}


async def _groupcart(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=ROOT, env=env, stderr=asyncio.subprocess.PIPE
    )


async def test_several_workers_without_redis_refuse_naming_redis_url() -> None:
    proc = await _groupcart(
        "run", "--webhook", "--workers", "2",
        env=_env(TELEGRAM_BOT_TOKEN="123456:TEST", TELEGRAM_WEBHOOK_SECRET=SECRET),
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
    port = free_port()
    # The emulator's bot and update ids are the same every run: earlier runs' claims must not count.
    redis = Redis.from_url(REDIS_URL)
    ledger = f"groupcart:update:{emulator.token.split(':')[0]}:"
    await _forget(redis, ledger)
    async with fresh_database_url("postgres", tmp_path) as db_url:
        env = _env(
            **webhook_env(
                token=emulator.token,
                secret=SECRET,
                database_url=db_url,
                redis_url=REDIS_URL,
                api_base=emulator.base_url,
                port=port,
            )
        )
        proc = await _groupcart("run", "--webhook", "--workers", "2", env=env)
        log: list[str] = []

        async def read_log() -> None:
            assert proc.stderr is not None
            async for line in proc.stderr:
                log.append(line.decode(errors="replace"))

        reader = asyncio.create_task(read_log())
        try:
            await client.wait_for(
                lambda: sum("webhook listening" in line for line in log) == 2 and queue.webhook.url, timeout=120
            )
            users = [await client.user(f"Shopper {i}", id=8_100 + i) for i in range(USERS)]
            for user in users:
                await user.send("/help")
            try:
                await client.wait_for(lambda: len(pushed) == USERS and not queue.pending, timeout=60)
            except TimeoutError:
                raise AssertionError(
                    f"{len(pushed)} pushed, {len(queue.pending)} pending; {queue.webhook_info()}; " + "".join(log[-20:])
                ) from None
            # Telegram delivers every update again, twice, on new connections racing each other.
            url = f"http://127.0.0.1:{port}/hook"
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
                raise AssertionError(f"{await replies()}; " + "".join(log[-30:])) from None
            await asyncio.sleep(1.0)  # a second answer to anyone would have arrived by now
            assert await replies() == Counter({user.id: 1 for user in users})
            text = "".join(log)
            assert "Traceback" not in text, text[text.index("Traceback") - 300 :][:6000]
            # Both workers took their share (each claim records the process that handled the update).
            owners = await redis.mget([f"{ledger}{u['update_id']}" for u in pushed])
            assert None not in owners and len(set(owners)) == 2, owners
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 60)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
            reader.cancel()
            await _forget(redis, ledger)
            await redis.aclose()
            await client.close()
            await emulator.stop()
        assert proc.returncode == 0, "".join(log[-30:])


async def _forget(redis: Redis, prefix: str) -> None:
    names = [name async for name in redis.scan_iter(match=f"{prefix}*")]
    if names:
        await redis.delete(*names)


async def _all_answered(counts: Any) -> bool:
    return len(await counts) == USERS
