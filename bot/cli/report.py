"""`groupcart report --from YYYY-MM-DD --to YYYY-MM-DD [--out DIR]` (or `--period last_month` and the other
presets): the analytics of a period as a self-contained HTML page with charts, and CSV files beside it. The
period is read and checked by store.analytics.periods, as the admin's "Custom period" in chat is."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli._db import open_db
from bot.config import Settings
from bot.i18n import t_plain
from store import analytics
from store.analytics import export, periods
from store.errors import DomainError
from store.money import STARS, Money


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("report", help="analytics of a period as HTML + CSV")
    parser.add_argument("--from", dest="start", help="first day, YYYY-MM-DD (shop time)")
    parser.add_argument("--to", dest="end", help="last day, inclusive (default: the first day)")
    parser.add_argument("--period", choices=periods.PRESETS, help="a preset instead of --from/--to")
    parser.add_argument("--out", type=Path, default=Path("report"), help="directory to write (default: ./report)")
    parser.set_defaults(func=_report)


def summary(report: analytics.Report) -> str:
    currency = report.currency or "CNY"
    return (
        f"{report.period.start} – {report.period.end}: "
        f"{_count(report.paid_orders, 'paid order')} of {report.orders_placed} placed, "
        f"GMV {Money(report.gmv.get(currency, 0), currency).format()}, "
        f"AOV {Money(report.aov.get(currency, 0), currency).format()}, "
        f"repeat buyers {round(100 * report.repeat_rate, 1)}%"
        + _retention(report)
        + (
            f"; top categories: {', '.join(f'{c.name_en} ×{c.units}' for c in report.top_categories[:3])}"
            if report.top_categories
            else ""
        )
        + (
            f"; paid in Telegram Stars (not in GMV): {_count(report.stars.orders, 'order')}, "
            f"{Money(report.stars.stars, STARS).format()}"
            if report.stars.orders
            else ""
        )
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _retention(report: analytics.Report) -> str:
    progs = report.programs
    if not progs.checkin_cohort:
        return ""
    days = " · ".join(f"day {n} {round(100 * progs.retention(n), 1)}%" for n in (1, 7, 30))
    return f"; check-in retention of {progs.checkin_cohort} new: {days}"


def _period(args: argparse.Namespace, timezone: str) -> analytics.Period:
    today = datetime.now(ZoneInfo(timezone)).date()
    if args.period:
        if args.start or args.end:
            raise DomainError("ops_period_format")
        return periods.preset(args.period, today, timezone)
    if not args.start:
        raise DomainError("ops_period_format")
    return periods.between(args.start, args.end or args.start, today, timezone)


async def _report(args: argparse.Namespace, settings: Settings) -> int:
    try:
        period = _period(args, settings.shop.timezone)
    except DomainError as exc:
        # The chat's wording, without the chat's "/cancel" advice.
        text = t_plain("en", f"errors.{exc.code}", **exc.params).replace(", or /cancel", "")
        print(f"groupcart: {text}", file=sys.stderr)
        return 2
    async with open_db(settings) as db:
        report = await analytics.report(db, period, today=datetime.now(ZoneInfo(settings.shop.timezone)).date())
    line = summary(report)
    paths = export.write(report, args.out, line)
    print(line)
    print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0
