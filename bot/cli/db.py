"""`groupcart db upgrade|downgrade|current`."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli._db import open_db
from bot.config import Settings
from store import migrations


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("db", help="database schema (Alembic migrations)")
    actions = parser.add_subparsers(dest="action", required=True)
    up = actions.add_parser("upgrade", help="migrate to the newest schema (or --revision)")
    up.add_argument("--revision", default="head")
    up.set_defaults(func=_upgrade)
    down = actions.add_parser("downgrade", help="migrate back to --revision")
    down.add_argument("--revision", required=True)
    down.set_defaults(func=_downgrade)
    current = actions.add_parser("current", help="print the current revision")
    current.set_defaults(func=_current)


async def _upgrade(args: argparse.Namespace, settings: Settings) -> int:
    async with open_db(settings, migrate=False) as db:
        await migrations.upgrade(db, args.revision)
        print(f"database at {await migrations.current_revision(db)}")
    return 0


async def _downgrade(args: argparse.Namespace, settings: Settings) -> int:
    async with open_db(settings, migrate=False) as db:
        await migrations.downgrade(db, args.revision)
        print(f"database at {await migrations.current_revision(db)}")
    return 0


async def _current(args: argparse.Namespace, settings: Settings) -> int:
    async with open_db(settings, migrate=False) as db:
        print(await migrations.current_revision(db) or "(empty)")
    return 0
