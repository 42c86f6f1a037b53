"""`python -m bot.emulator --port 8081`: run the emulator standalone and print its base URL."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from pathlib import Path

from bot.emulator.config import EmulatorConfig
from bot.emulator.server import start_emulator

DEFAULT_WEB_DIR = Path(__file__).parent / "web"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=EmulatorConfig.token)
    parser.add_argument("--username", default=EmulatorConfig.username)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--no-flood-limits", action="store_true")
    parser.add_argument("--web-dir", type=Path, default=DEFAULT_WEB_DIR if DEFAULT_WEB_DIR.is_dir() else None)
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    config = EmulatorConfig(
        token=args.token,
        username=args.username,
        time_scale=args.time_scale,
        flood_limits=not args.no_flood_limits,
        web_dir=args.web_dir,
    )
    running = await start_emulator(config, host=args.host, port=args.port)
    print(f"Telegram Bot API emulator on {running.base_url} (token {running.token})", flush=True)
    print(f"  bot API: {running.api_url}/<method>   control: {running.base_url}/control/state", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await running.stop()


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
