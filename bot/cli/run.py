"""`groupcart run`: the bot against Telegram (token set) or the local sandbox (no token)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from bot.config import Settings

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "run", help="run the bot (no TELEGRAM_BOT_TOKEN: the local sandbox with a web chat)"
    )
    parser.add_argument("--webhook", action="store_true", help="serve updates over HTTP instead of long polling")
    parser.add_argument(
        "--standby",
        action="store_true",
        help="run as one of several processes on this host: one polls, the others wait warm and take over within "
        "a fraction of a second when it dies (telegram.standby_lock)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="with --webhook: N worker processes on one port (SO_REUSEPORT); N>1 needs redis.url and PostgreSQL",
    )
    parser.add_argument("--worker-index", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help="sandbox web chat port (default from config: sandbox.port)")
    parser.add_argument("--host", help="sandbox bind address (default 127.0.0.1)")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="let the sandbox listen on a non-loopback --host; its web chat and control API then need a token",
    )
    parser.add_argument("--data-dir", help="sandbox data folder (SQLite database); default sandbox.data_dir")
    parser.set_defaults(func=_run)


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot import workers
    from bot.app import create_app
    from bot.runner import prepare, run_polling, run_webhook

    refused = workers.refusal(settings, args.workers, webhook=args.webhook)
    if refused:
        print(f"groupcart: {refused}", file=sys.stderr)
        return 2
    if args.workers > 1:
        if settings.sandbox_mode or not settings.secrets.webhook_secret:
            print("groupcart: --workers needs TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET", file=sys.stderr)
            return 2
        return await workers.supervise(settings, args.workers, args.config)
    if settings.sandbox_mode:
        from bot.sandbox import run_sandbox

        return await run_sandbox(
            settings, host=args.host, port=args.port, data_dir=args.data_dir, allow_remote=args.allow_remote
        )
    token = settings.secrets.bot_token
    assert token is not None
    if args.standby and args.webhook:
        print("groupcart: --standby is for long polling (behind a webhook, run several processes behind the proxy)")
        return 2
    # A worker of `--workers N`: the supervisor upgraded the schema; worker 0 alone sets commands and the webhook.
    worker = args.worker_index
    app = await create_app(settings, token, resolve_username=True, migrate=worker is None)
    lock = None
    try:
        if args.standby:
            lock = await _stand_by(app, settings, token)
            if lock is None:
                return 0
        await prepare(app, commands=lock is None and not worker)
        if args.webhook:
            secret = settings.secrets.webhook_secret
            if not secret:
                print("groupcart: --webhook needs TELEGRAM_WEBHOOK_SECRET in the environment")
                return 2
            await run_webhook(
                app,
                secret,
                reuse_port=worker is not None,
                set_webhook=not worker,
                own_port=None if worker is None else workers.own_port(settings, worker),
            )
        else:
            await run_polling(app)
    finally:
        await app.close()
        if lock is not None:
            lock.release()
    return 0


async def _stand_by(app: Any, settings: Settings, token: str) -> Any:
    """Everything a take-over can do ahead (the app is built; the bot's username and the search index and
    classifier are warmed up), then wait for the lock. None when stopped by a signal while waiting."""
    from bot import warmup
    from bot.runner import register_commands
    from bot.standby import RunLock, default_lock_path

    await register_commands(app)  # the same menu whichever process sets it
    warmup.start(app)
    configured = settings.telegram.standby_lock
    lock = RunLock(Path(configured) if configured else default_lock_path(token))
    if not lock.try_acquire():
        log.info("standing by: another process polls; taking over when it stops (lock %s)", lock.path)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        acquired = await lock.acquire(stop)
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        if not acquired:
            return None
        log.info("taking over: the polling process is gone")
    else:
        log.info("polling (lock %s); `run --standby` processes started after this one wait warm", lock.path)
    return lock
