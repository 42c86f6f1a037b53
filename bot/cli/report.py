"""`groupcart report --from YYYY-MM-DD --to YYYY-MM-DD [--out DIR]`: the analytics of a period as a
self-contained HTML page with charts, and CSV files beside it."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from bot.cli._db import open_db
from bot.config import Settings
from store import analytics
from store.analytics import export
from store.money import Money


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("report", help="analytics of a period as HTML + CSV")
    parser.add_argument("--from", dest="start", type=date.fromisoformat, required=True, help="first day (shop time)")
    parser.add_argument("--to", dest="end", type=date.fromisoformat, required=True, help="last day, inclusive")
    parser.add_argument("--out", type=Path, default=Path("report"), help="directory to write (default: ./report)")
    parser.set_defaults(func=_report)


def summary(report: analytics.Report) -> str:
    currency = report.currency or "CNY"
    return (
        f"{report.period.start} – {report.period.end}: {report.paid_orders} paid orders of {report.orders_placed} "
        f"placed, GMV {Money(report.gmv.get(currency, 0), currency).format()}, "
        f"AOV {Money(report.aov.get(currency, 0), currency).format()}, "
        f"repeat buyers {round(100 * report.repeat_rate, 1)}%"
    )


async def _report(args: argparse.Namespace, settings: Settings) -> int:
    if args.end < args.start:
        print("groupcart: --to is before --from")
        return 2
    async with open_db(settings) as db:
        report = await analytics.report(db, analytics.Period(args.start, args.end, settings.shop.timezone))
    line = summary(report)
    paths = export.write(report, args.out, line)
    print(line)
    print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0
