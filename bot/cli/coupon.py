"""`groupcart coupon create|list|disable`."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli._db import open_db
from bot.cli._report import refused
from bot.config import Settings
from bot.coupon_syntax import parse_coupon
from store.errors import DomainError
from store.growth import coupons


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("coupon", help="coupons and automatic promotions")
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser(
        "create",
        help="create a coupon",
        description="e.g. groupcart coupon create SPRING 10%% min=50 limit=100 per_user=1 days=30 "
        "scope=category:fruit auto points=500 nostack=points,tier   (or a fixed amount: SPRING 5.00)",
    )
    create.add_argument("spec", nargs="+", help="CODE AMOUNT [options]")
    create.set_defaults(func=_create)
    listing = actions.add_parser("list", help="list coupons with their use counts")
    listing.set_defaults(func=_list)
    disable = actions.add_parser("disable", help="stop a coupon")
    disable.add_argument("code")
    disable.set_defaults(func=_disable)


async def _create(args: argparse.Namespace, settings: Settings) -> int:
    try:
        spec = parse_coupon(" ".join(args.spec), settings.shop.currency, settings.shop.timezone)
        async with open_db(settings) as db:
            created = await coupons.create_coupon(db, spec)
    except DomainError as exc:
        return refused(exc, "coupon refused")
    print(f"created {created.code}")
    return 0


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    async with open_db(settings) as db:
        for c in await coupons.list_coupons(db, active_only=False):
            limit = c.total_limit if c.total_limit is not None else "-"
            print(f"{c.code}\t{c.kind}\t{c.value}\tused {c.used_count}/{limit}\tscope {c.scope}:{c.scope_ref or ''}")
    return 0


async def _disable(args: argparse.Namespace, settings: Settings) -> int:
    async with open_db(settings) as db:
        done = await coupons.deactivate(db, args.code)
    print(f"{'disabled' if done else 'no such coupon'} {coupons.normalise(args.code)}")
    return 0 if done else 1
