"""Three real worker processes (`groupcart run --webhook --workers 3`) on a fresh PostgreSQL database and Redis,
with the emulator as Telegram, for the tests that follow one update, conversation or event across workers.

The emulator delivers updates to the webhook URL the bot set (the shared port: any worker); a test steers a
delivery to one worker by pointing that URL at the worker's own port (bot/workers.py: own_port)."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from bot.emulator.client import EmulatorClient
from bot.emulator.engine import Emulator
from bot.emulator.server import EmulatorConfig, RunningEmulator, start_emulator
from bot.worker_cluster import LocalWorkers, clean_env, forget, free_port_block
from bot.workers import webhook_env
from store.db import Database
from tests.backends import REDIS_URL, fresh_database_url, require_postgres, require_redis
from tests.conftest import ADMIN_ID

SECRET = "handover-secret_1"
WORKERS = 3


@dataclass
class Cluster:
    running: RunningEmulator
    client: EmulatorClient
    workers: LocalWorkers
    db: Database
    redis: Redis
    bot_id: int
    pushed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def emu(self) -> Emulator:
        return self.running.emulator

    def ledger_key(self, update_id: int) -> str:
        return f"groupcart:update:{self.bot_id}:{update_id}"

    async def claim_of(self, update_id: int) -> str | None:
        """The update's ledger entry: "run:<host>:<pid>" while handled, "done:<host>:<pid>" once handled."""
        raw = await self.redis.get(self.ledger_key(update_id))
        return None if raw is None else raw.decode()

    def deliver_to(self, index: int | None) -> None:
        """The emulator's next deliveries go to worker `index` (None: the shared port, any worker)."""
        self.emu.queue.webhook.url = self.workers.hook_url(index)


@asynccontextmanager
async def three_workers(tmp_path: Path, **env: str) -> AsyncIterator[Cluster]:
    require_postgres()
    require_redis()
    # A bot id of this run only: its update ledger and flash counters are nobody else's keys.
    bot_id = random.randint(10**9, 2 * 10**9)
    running = await start_emulator(EmulatorConfig(token=f"{bot_id}:HANDOVER"))
    queue = running.emulator.queue
    redis = Redis.from_url(REDIS_URL)
    prefixes = [f"groupcart:update:{bot_id}:", f"groupcart:flash:{bot_id}:"]
    client = EmulatorClient(running.base_url, settle_timeout=60)
    cluster: Cluster | None = None
    port = free_port_block(1 + WORKERS)
    async with fresh_database_url("postgres", tmp_path) as db_url:
        workers = LocalWorkers(
            clean_env(
                **webhook_env(
                    token=running.token,
                    secret=SECRET,
                    database_url=db_url,
                    redis_url=REDIS_URL,
                    api_base=running.base_url,
                    port=port,
                ),
                GROUPCART_ADMINS=json.dumps([ADMIN_ID]),
                **env,
            ),
            WORKERS,
            port,
        )
        try:
            await workers.start()
            await client.wait_for(lambda: queue.webhook.url, timeout=60)  # worker 0 set the webhook
            cluster = Cluster(running, client, workers, Database(db_url), redis, bot_id)
            real_push = queue.push

            async def recording_push(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
                update = await real_push(kind, payload)
                cluster.pushed.append(update)  # type: ignore[union-attr]
                return update

            queue.push = recording_push  # type: ignore[method-assign]
            yield cluster
            assert workers.traceback() is None, workers.traceback()
        finally:
            await workers.stop()
            if cluster is not None:
                await cluster.db.dispose()
            for prefix in prefixes:
                await forget(redis, prefix)
            await redis.aclose()
            await client.close()
            await running.stop()
