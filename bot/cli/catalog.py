"""`groupcart catalog import FILE` and `groupcart catalog export [--format csv|yaml] [FILE]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bot.cli._db import open_db
from bot.config import Settings
from store import catalog_io

# Below this many rows the import is instant and a progress bar is only noise.
PROGRESS_MIN_ROWS = 1000


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("catalog", help="import or export the product catalog")
    actions = parser.add_subparsers(dest="action", required=True)

    imp = actions.add_parser(
        "import",
        help="upsert products from CSV or YAML (all rows are checked first; a file with a bad row imports nothing)",
    )
    imp.add_argument("file", type=Path)
    imp.add_argument("--format", choices=("csv", "yaml"), help="default: from the file name (.yaml/.yml or csv)")
    imp.add_argument("--dry-run", action="store_true", help="only validate the file")
    imp.set_defaults(func=_import)

    exp = actions.add_parser("export", help="write every category and product as CSV or YAML")
    exp.add_argument("file", nargs="?", type=Path, help="default: standard output")
    exp.add_argument("--format", choices=("csv", "yaml"), help="default: from the file name, else csv")
    exp.set_defaults(func=_export)


async def _import(args: argparse.Namespace, settings: Settings) -> int:
    path: Path = args.file
    if not path.is_file():
        print(f"groupcart: no such file: {path}", file=sys.stderr)
        return 2
    try:
        parsed = catalog_io.parse_file(path, args.format, default_currency=settings.shop.currency)
    except catalog_io.ImportRejected as exc:
        print(f"{path}: {len(exc.errors)} problem(s); nothing was imported:", file=sys.stderr)
        for error in exc.errors:
            print(f"  {path}:{error}", file=sys.stderr)
        return 1
    if args.dry_run:
        print(f"{path}: {len(parsed.rows)} product(s) are valid")
        return 0
    total = len(parsed.rows)
    with tqdm(total=total, unit="rows", desc="importing", disable=total < PROGRESS_MIN_ROWS, file=sys.stderr) as bar:

        def advance(done: int) -> None:
            bar.update(done)

        async with open_db(settings) as db:
            stats = await catalog_io.import_parsed(db, parsed, progress=advance)
    print(
        f"imported {total} product(s): {stats.inserted} new, {stats.updated} updated, {stats.unchanged} unchanged; "
        f"{stats.categories_created} new categor{'y' if stats.categories_created == 1 else 'ies'}"
    )
    return 0


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    fmt = args.format or (catalog_io.detect_format(args.file) if args.file else "csv")
    async with open_db(settings) as db:
        text = await catalog_io.export_text(db, fmt)
    if args.file is None:
        sys.stdout.write(text)
        return 0
    args.file.parent.mkdir(parents=True, exist_ok=True)
    args.file.write_text(text, encoding="utf-8")
    print(f"exported the catalog to {args.file}")
    return 0
