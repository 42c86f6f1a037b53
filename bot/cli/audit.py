"""`groupcart audit export [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--out FILE]`: the staff audit log as CSV."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli._db import open_db
from bot.config import Settings
from store import audit


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("audit", help="the staff audit log")
    actions = parser.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="write the log as CSV (standard output without --out)")
    export.add_argument("--from", dest="start", type=date.fromisoformat, help="first day (shop time), inclusive")
    export.add_argument("--to", dest="end", type=date.fromisoformat, help="last day (shop time), inclusive")
    export.add_argument("--out", type=Path, help="CSV file to write")
    export.set_defaults(func=_export)


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    zone = ZoneInfo(settings.shop.timezone)
    start = datetime.combine(args.start, time(), zone) if args.start else None
    end = datetime.combine(args.end + timedelta(days=1), time(), zone) if args.end else None
    async with open_db(settings) as db:
        entries = await audit.between(db, start, end)
    text = audit.to_csv(entries)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
        print(f"{len(entries)} entries written to {args.out}")
    return 0
