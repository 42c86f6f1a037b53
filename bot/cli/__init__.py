"""The `groupcart` command. Each module in this package adds its subcommands through `register(sub)`.

A module is named after its command, so `groupcart run` imports bot.cli.run alone: the other commands' modules
(Alembic for `db`, tqdm for `catalog`, ...) would only slow a bot's start. Without a known command (`--help`, a
typo) every module registers, so help and error messages list them all."""

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


def _global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="path to config.yaml (default: ./config.yaml or $GROUPCART_CONFIG)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def command_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def requested_command(argv: Sequence[str] | None) -> str | None:
    """The command named on the command line, when it is one of ours."""
    pre = argparse.ArgumentParser(add_help=False)
    _global_options(pre)
    _known, rest = pre.parse_known_args(sys.argv[1:] if argv is None else list(argv))
    name = rest[0] if rest and not rest[0].startswith("-") else None
    return name if name in command_modules() else None


def build_parser(argv: Sequence[str] | None = None, *, every_command: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="groupcart", description="groupcart: a shop that lives in Telegram groups")
    _global_options(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    command = None if every_command else requested_command(argv)
    for name in [command] if command else command_modules():
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(argv, every_command=False)
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
