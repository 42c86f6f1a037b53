"""`groupcart flashsale create|list|edit|cancel`: schedule and manage flash sales from the shell."""

from __future__ import annotations

import argparse
from typing import Any

from bot.cli._db import open_db
from bot.cli._report import refused
from bot.config import Settings
from store import flashsale
from store.errors import DomainError
from store.flashsale.typed_price import typed_price_for_sku
from store.models import utcnow
from store.money import Money


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("flashsale", help="flash sales: create, list, edit, cancel")
    actions = parser.add_subparsers(dest="action", required=True)

    create = actions.add_parser("create", help="schedule a flash sale")
    create.add_argument("--sku", required=True)
    create.add_argument(
        "--price",
        required=True,
        help="flash price as buyers pay it: 19.90 in the product's currency, Stars (280) for a Stars-sold one",
    )
    create.add_argument("--stock", required=True, type=int, help="units in the flash pool (taken from stock)")
    create.add_argument("--start", required=True, help="now, +10m, 20:00, '2026-12-01 20:00' (shop time) or ISO")
    create.add_argument("--end", required=True, help="same forms; +1h counts from the start")
    create.add_argument("--per-user", type=int, default=1, help="units one person may win (default 1)")
    create.add_argument("--groups", default="all", help="all, or chat ids separated by commas")
    create.set_defaults(func=_create)

    listing = actions.add_parser("list", help="list flash sales, newest first")
    listing.add_argument("--limit", type=int, default=20)
    listing.set_defaults(func=_list)

    edit = actions.add_parser("edit", help="change a sale that has not started")
    edit.add_argument("sale_id", type=int)
    edit.add_argument("--price", help="as for create")
    edit.add_argument("--stock", type=int)
    edit.add_argument("--start")
    edit.add_argument("--end")
    edit.add_argument("--per-user", type=int)
    edit.add_argument("--groups")
    edit.set_defaults(func=_edit)

    cancel = actions.add_parser("cancel", help="cancel a scheduled sale, or end a live one now")
    cancel.add_argument("sale_id", type=int)
    cancel.set_defaults(func=_cancel)


def _line(sale: flashsale.SaleView) -> str:
    groups = "all groups" if sale.groups is None else ",".join(str(g) for g in sale.groups)
    return (
        f"#{sale.id} {sale.status:<9} {sale.sku} {Money(sale.price, sale.currency).format()} "
        f"won {sale.sold}/{sale.stock} paid {sale.paid} returned {sale.returned} "
        f"revenue {Money(sale.revenue, sale.currency).format()} limit {sale.per_user_limit} "
        f"{sale.starts_at:%Y-%m-%d %H:%M:%S}Z -> {sale.ends_at:%Y-%m-%d %H:%M:%S}Z ({groups})"
    )


async def _create(args: argparse.Namespace, settings: Settings) -> int:
    try:
        now = utcnow()
        tz = settings.shop.timezone
        starts_at = flashsale.parse_time(args.start, now, tz)
        ends_at = flashsale.parse_time(args.end, starts_at if args.end.startswith("+") else now, tz)
        async with open_db(settings) as db:
            spec = flashsale.SaleSpec(
                sku=args.sku,
                price=await typed_price_for_sku(db, args.price, args.sku),
                stock=args.stock,
                starts_at=starts_at,
                ends_at=ends_at,
                per_user_limit=args.per_user,
                groups=flashsale.parse_groups(args.groups),
            )
            sale = await flashsale.create_sale(db, spec, actor_id=None)
    except DomainError as exc:
        return refused(exc)
    print(f"scheduled {_line(sale)}")
    return 0


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    async with open_db(settings) as db:
        sales = await flashsale.list_sales(db, limit=args.limit)
    for sale in sales:
        print(_line(sale))
    if not sales:
        print("no flash sales")
    return 0


async def _edit(args: argparse.Namespace, settings: Settings) -> int:
    try:
        async with open_db(settings) as db:
            current = await flashsale.get_sale(db, args.sale_id)
            now = utcnow()
            tz = settings.shop.timezone
            starts_at = flashsale.parse_time(args.start, now, tz) if args.start else None
            ends_at = None
            if args.end:
                base = (starts_at or current.starts_at) if args.end.startswith("+") else now
                ends_at = flashsale.parse_time(args.end, base, tz)
            groups = flashsale.parse_groups(args.groups) if args.groups is not None else None
            edit = flashsale.SaleEdit(
                price=await typed_price_for_sku(db, args.price, current.sku) if args.price else None,
                stock=args.stock,
                starts_at=starts_at,
                ends_at=ends_at,
                per_user_limit=args.per_user,
                groups=groups,
                all_groups=args.groups is not None and groups is None,
            )
            sale = await flashsale.edit_sale(db, args.sale_id, edit, actor_id=None)
    except DomainError as exc:
        return refused(exc)
    print(f"updated {_line(sale)}")
    return 0


async def _cancel(args: argparse.Namespace, settings: Settings) -> int:
    try:
        async with open_db(settings) as db:
            sale = await flashsale.cancel_sale(db, args.sale_id, admin_ids=settings.admins, actor_id=None)
    except DomainError as exc:
        return refused(exc)
    print(f"{sale.status} {_line(sale)}")
    return 0
