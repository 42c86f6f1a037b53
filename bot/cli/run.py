"""`groupcart run`: the bot against Telegram (token set) or the local sandbox (no token)."""

from __future__ import annotations

import argparse
from typing import Any

from bot.config import Settings


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "run", help="run the bot (no TELEGRAM_BOT_TOKEN: the local sandbox with a web chat)"
    )
    parser.add_argument("--webhook", action="store_true", help="serve updates over HTTP instead of long polling")
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
    from bot.app import create_app
    from bot.runner import prepare, run_polling, run_webhook

    if settings.sandbox_mode:
        from bot.sandbox import run_sandbox

        return await run_sandbox(
            settings, host=args.host, port=args.port, data_dir=args.data_dir, allow_remote=args.allow_remote
        )
    token = settings.secrets.bot_token
    assert token is not None
    app = await create_app(settings, token, resolve_username=True)
    try:
        await prepare(app)
        if args.webhook:
            secret = settings.secrets.webhook_secret
            if not secret:
                print("groupcart: --webhook needs TELEGRAM_WEBHOOK_SECRET in the environment")
                return 2
            await run_webhook(app, secret)
        else:
            await run_polling(app)
    finally:
        await app.close()
    return 0
