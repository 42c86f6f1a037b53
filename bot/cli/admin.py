"""`groupcart admin grant|revoke ROLE USER_ID`."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli._db import open_db
from bot.cli._report import refused
from bot.config import Settings
from store import users
from store.errors import DomainError


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("admin", help="roles: admin, leader, support")
    actions = parser.add_subparsers(dest="action", required=True)
    for name, func in (("grant", _grant), ("revoke", _revoke)):
        p = actions.add_parser(name, help=f"{name} a role")
        p.add_argument("role", choices=users.ROLES)
        p.add_argument("user_id", type=int, help="the user's Telegram id")
        p.set_defaults(func=func)


async def _grant(args: argparse.Namespace, settings: Settings) -> int:
    async with open_db(settings) as db:
        try:
            added = await users.grant_role(db, args.user_id, args.role)
        except DomainError as exc:
            return refused(exc)
    print(f"{'granted' if added else 'already had'} {args.role} for {args.user_id}")
    return 0


async def _revoke(args: argparse.Namespace, settings: Settings) -> int:
    async with open_db(settings) as db:
        removed = await users.revoke_role(db, args.user_id, args.role)
    print(f"{'revoked' if removed else 'did not have'} {args.role} for {args.user_id}")
    return 0
