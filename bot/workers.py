"""`groupcart run --webhook --workers N`: N worker processes serving one webhook port.

Each worker is an ordinary `groupcart run --webhook` process (its own event loop, database pool, scheduler and
outbox sender) whose listening socket is opened with SO_REUSEPORT, so the kernel spreads Telegram's connections
over the workers: no front process sits in the path of an update, and a worker that dies loses only the
requests it held (Telegram delivers those again, and the Redis update ledger lets exactly one worker handle
each). This supervisor only starts the workers, restarts one that dies, and passes SIGTERM/SIGINT on.

Whatever must be true for all workers lives in PostgreSQL and Redis, so several workers need `redis.url`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

from bot.config import Settings

log = logging.getLogger(__name__)

WORKER_INDEX_FLAG = "--worker-index"
RESTART_PAUSE_SECONDS = 1.0


def refusal(settings: Settings, workers: int, *, webhook: bool) -> str | None:
    """Why `workers` processes cannot run with these settings (None: they can)."""
    if workers <= 1:
        return None
    if not webhook:
        return "--workers needs --webhook (long polling allows one process; see --standby for a warm spare)"
    if not settings.redis.url:
        return (
            f"--workers {workers} needs redis.url (in config.yaml, or GROUPCART_REDIS__URL): several processes "
            "share update de-duplication, conversation state and the send budget through Redis"
        )
    if settings.database.url.startswith("sqlite"):
        return f"--workers {workers} needs PostgreSQL (database.url): SQLite serves one process"
    return None


def webhook_env(
    *, token: str, secret: str, database_url: str, redis_url: str, api_base: str, port: int, host: str = "127.0.0.1"
) -> dict[str, str]:
    """The environment of `groupcart run --webhook --workers N` behind one local port (tests, benchmarks, and a
    template for a systemd EnvironmentFile): secrets from the environment, as config.yaml never holds them."""
    return {
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_WEBHOOK_SECRET": secret,
        "GROUPCART_DATABASE__URL": database_url,
        "GROUPCART_REDIS__URL": redis_url,
        "GROUPCART_TELEGRAM__API_BASE": api_base,
        "GROUPCART_TELEGRAM__WEBHOOK__HOST": host,
        "GROUPCART_TELEGRAM__WEBHOOK__PORT": str(port),
        "GROUPCART_TELEGRAM__WEBHOOK__PATH": "/hook",
        "GROUPCART_TELEGRAM__WEBHOOK__PUBLIC_URL": f"http://{host}:{port}",
    }


def own_port(settings: Settings, index: int) -> int:
    """Worker `index` also listens on the webhook port + 1 + index: its /metrics (each worker is its own scrape
    target) and the webhook, for a proxy with one upstream per worker or a test that picks the worker."""
    return own_port_of(settings.telegram.webhook.port, index)


def own_port_of(webhook_port: int, index: int) -> int:
    return webhook_port + 1 + index


def worker_command(config: str | None, index: int, argv_extra: Sequence[str] = ()) -> list[str]:
    command = [sys.executable, "-m", "bot"]
    if config:
        command += ["--config", config]
    return [*command, "run", "--webhook", WORKER_INDEX_FLAG, str(index), *argv_extra]


async def supervise(
    settings: Settings, workers: int, config: str | None, stop: asyncio.Event | None = None, *, migrate: bool = True
) -> int:
    """Run `workers` worker processes until stopped; the schema is upgraded once here, not by N racing workers."""
    if migrate:
        await _upgrade_schema(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    procs: dict[int, asyncio.subprocess.Process] = {}

    async def start(index: int) -> None:
        procs[index] = await asyncio.create_subprocess_exec(*worker_command(config, index))
        log.info("worker %s started (pid %s)", index, procs[index].pid)

    for index in range(workers):
        await start(index)
    stopping = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set():
            waits = {asyncio.create_task(proc.wait()): index for index, proc in procs.items()}
            done, pending = await asyncio.wait({*waits, stopping}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                if task is not stopping:
                    task.cancel()
            for task in done:
                if task is stopping:
                    continue
                index = waits[task]
                log.warning("worker %s exited with %s; restarting it", index, task.result())
                await asyncio.sleep(RESTART_PAUSE_SECONDS)  # a worker that cannot start must not spin
                if not stop.is_set():
                    await start(index)
    finally:
        stopping.cancel()
        for proc in procs.values():
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                await asyncio.wait_for(proc.wait(), timeout=30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
    return 0


async def _upgrade_schema(settings: Settings) -> None:
    from store import migrations
    from store.db import Database

    db = Database(settings.database.url)
    try:
        await migrations.upgrade(db)
    finally:
        await db.dispose()
