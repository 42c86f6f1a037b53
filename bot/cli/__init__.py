"""The `groupcart` command. Each module in this package adds its subcommands through `register(sub)`."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import pkgutil
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from bot.config import ConfigError, Settings, load_settings

Command = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="groupcart", description="groupcart: a shop that lives in Telegram groups")
    parser.add_argument("--config", help="path to config.yaml (default: ./config.yaml or $GROUPCART_CONFIG)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        importlib.import_module(f"{__name__}.{module.name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"groupcart: {exc}", file=sys.stderr)
        return 2
    command: Command = args.func
    try:
        return asyncio.run(command(args, settings))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
