"""Catalog import and export (CSV and YAML), used by `groupcart catalog import|export` and the demo seed.

An import is all or nothing: every row is validated first and every bad row is reported with its line number;
only a clean file is written, in one transaction, upserting by SKU.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from store import audit, delivery
from store.catalog import (
    SLUG_RE,
    CategoryRow,
    ProductRow,
    UpsertStats,
    analyze_products,
    export_catalog,
    portable_photo_path,
    resolve_photo,
    upsert_products,
    valid_sku,
)
from store.db import Database
from store.models import Product
from store.money import exponent, parse_major

COLUMNS = (
    "sku",
    "title_en",
    "title_zh",
    "description_en",
    "description_zh",
    "category",
    "category_en",
    "category_zh",
    "price",
    "currency",
    "stock",
    "photo",
    "tags",
    "is_digital",
    "stars_price",
    "active",
    "digital_kind",
    "digital_content",
)
REQUIRED = ("sku", "title_en", "category", "price")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off", ""}
MAX_TITLE = 128
ANALYZE_ROWS = 1000
MAX_DESCRIPTION = 900  # a card caption is at most 1024 characters including title and price


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportRejected(Exception):
    """The file had bad rows; nothing was imported."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} bad row(s)")
        self.errors = list(errors)


@dataclass(frozen=True)
class ParsedFile:
    rows: list[ProductRow]
    categories: list[CategoryRow]


def detect_format(path: Path, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    return "yaml" if path.suffix.lower() in (".yaml", ".yml") else "csv"


# ---------------------------------------------------------------------------------------------- reading


def _csv_records(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text), restkey="__extra__")
    header = reader.fieldnames or []
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise ImportRejected([RowError(1, f"unknown column(s): {', '.join(unknown)}")])
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ImportRejected([RowError(1, f"missing column(s): {', '.join(missing)}")])
    line = reader.line_num + 1
    for record in reader:
        if any((value or "").strip() for key, value in record.items() if key != "__extra__"):
            yield line, record
        line = reader.line_num + 1


def _yaml_records(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, dict[str, Any]]]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ImportRejected([RowError(mark.line + 1 if mark else 1, f"not valid YAML: {exc}")]) from exc
    if data is None:
        return [], []
    products_node: Any = root
    categories_node: Any = None
    products: Any = data
    categories: Any = []
    if isinstance(data, dict):
        unknown = [key for key in data if key not in ("products", "categories")]
        if unknown:
            raise ImportRejected([RowError(1, f"unknown top-level key(s): {', '.join(map(str, unknown))}")])
        nodes = {key.value: value for key, value in root.value} if root is not None else {}
        products, products_node = data.get("products") or [], nodes.get("products")
        categories, categories_node = data.get("categories") or [], nodes.get("categories")
    if not isinstance(products, list):
        raise ImportRejected([RowError(1, "expected a list of products (or a mapping with 'products:')")])
    if not isinstance(categories, list):
        raise ImportRejected([RowError(1, "'categories' must be a list")])

    def lines(node: Any, count: int) -> list[int]:
        items = node.value if node is not None and isinstance(node.value, list) else []
        return [item.start_mark.line + 1 for item in items] + [1] * max(0, count - len(items))

    return (
        list(zip(lines(products_node, len(products)), products, strict=True)),
        list(zip(lines(categories_node, len(categories)), categories, strict=True)),
    )


# ---------------------------------------------------------------------------------------------- validation


def _text(record: Mapping[str, Any], key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value).strip()


def _bool(value: Any, name: str, default: bool, problems: list[str]) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text == "":
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    problems.append(f"{name} must be true or false, got {value!r}")
    return default


def _int(value: Any, name: str, problems: list[str], *, minimum: int = 0) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        problems.append(f"{name} must be a whole number, got {value!r}")
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        problems.append(f"{name} must be a whole number, got {value!r}")
        return None
    if number < minimum:
        problems.append(f"{name} must be at least {minimum}, got {number}")
        return None
    return number


def _photo(value: str, base_dir: Path | None, problems: list[str]) -> str | None:
    if not value:
        return None
    if value.startswith(("http://", "https://")):
        return value
    path = Path(value)
    if not path.is_absolute() and base_dir is not None and (base_dir / path).is_file():
        return portable_photo_path(base_dir / path)
    if resolve_photo(value) is not None:
        return value
    problems.append(f"photo {value!r} is neither an http(s) URL nor an existing file")
    return None


def _digital(
    record: Mapping[str, Any], is_digital: bool, base_dir: Path | None, problems: list[str]
) -> tuple[str | None, str | None]:
    """What a digital product hands over once paid: codes (one a line; each unit sold takes its own), an http(s)
    link, or a small file (a path like `photo`). Without `digital_kind` the kind is read from the content: a URL is
    a link, an existing file a file, else codes."""
    kind = _text(record, "digital_kind").lower() or None
    content = _text(record, "digital_content") or None
    if content is None:
        if kind is not None:
            problems.append("digital_kind needs a digital_content (the code, link or file to send)")
        return None, None
    if not is_digital:
        problems.append("digital_content is only for digital products (is_digital: true)")
        return None, None
    if kind is None:
        if content.startswith(("http://", "https://")):
            kind = "link"
        elif _local_file(content, base_dir) is not None:
            kind = "file"
        else:
            kind = "code"
    if kind not in delivery.KINDS:
        problems.append(f"digital_kind must be one of {', '.join(delivery.KINDS)}, got {kind!r}")
        return None, None
    if kind == "link" and (not content.startswith(("http://", "https://")) or any(c.isspace() for c in content)):
        problems.append(f"digital_content {content!r} must be an http(s) link without spaces")
    elif kind == "code" and any(len(code) > delivery.CODE_MAX for code in delivery.codes_in(content)):
        problems.append(f"a code in digital_content is longer than {delivery.CODE_MAX} characters")
    elif kind == "file":
        path = _local_file(content, base_dir)
        if path is None:
            problems.append(f"digital_content {content!r} is not an existing file")
        elif path.stat().st_size > delivery.MAX_FILE_BYTES:
            problems.append(f"digital_content {content!r} is larger than {delivery.MAX_FILE_BYTES // 2**20} MB")
        else:
            content = portable_photo_path(path)
    return kind, content


def _local_file(value: str, base_dir: Path | None) -> Path | None:
    path = Path(value)
    if not path.is_absolute() and base_dir is not None and (base_dir / path).is_file():
        return base_dir / path
    return resolve_photo(value)


def validate_record(
    record: Mapping[str, Any], *, default_currency: str, base_dir: Path | None
) -> tuple[ProductRow | None, list[str]]:
    """A ProductRow, or the list of everything wrong with the record."""
    problems: list[str] = []
    if not isinstance(record, Mapping):
        return None, ["expected a mapping of column: value"]
    unknown = [str(k) for k in record if k not in COLUMNS and k != "__extra__"]
    if unknown:
        problems.append(f"unknown field(s): {', '.join(unknown)}")
    if "__extra__" in record:
        problems.append("more values than columns")
    for name in REQUIRED:
        if not _text(record, name):
            problems.append(f"{name} is required")
    sku = _text(record, "sku")
    if sku and not valid_sku(sku):
        problems.append(f"sku {sku!r} must be 1-32 of A-Z a-z 0-9 _ - (starting with a letter or digit)")
    title_en, title_zh = _text(record, "title_en"), _text(record, "title_zh")
    for name, value, limit in (
        ("title_en", title_en, MAX_TITLE),
        ("title_zh", title_zh, MAX_TITLE),
        ("description_en", _text(record, "description_en"), MAX_DESCRIPTION),
        ("description_zh", _text(record, "description_zh"), MAX_DESCRIPTION),
        ("category_en", _text(record, "category_en"), MAX_TITLE),
        ("category_zh", _text(record, "category_zh"), MAX_TITLE),
    ):
        if len(value) > limit:
            problems.append(f"{name} is longer than {limit} characters")
    category = _text(record, "category")
    if category and not SLUG_RE.match(category):
        problems.append(f"category {category!r} must be a slug: lowercase a-z 0-9 _ -")
    currency = (_text(record, "currency") or default_currency).upper()
    if not CURRENCY_RE.match(currency):
        problems.append(f"currency {currency!r} must be a 3-letter ISO code")
    price: int | None = None
    price_text = _text(record, "price")
    if price_text and CURRENCY_RE.match(currency):
        try:
            price = parse_major(price_text, currency)
        except ValueError:
            problems.append(
                f"price {price_text!r} must be a non-negative amount with at most {exponent(currency)} decimals"
            )
    stock = _int(record.get("stock"), "stock", problems)
    stars_price = _int(record.get("stars_price"), "stars_price", problems, minimum=1)
    is_digital = _bool(record.get("is_digital"), "is_digital", False, problems)
    active = _bool(record.get("active"), "active", True, problems)
    if stars_price is not None and not is_digital:
        problems.append("stars_price is only allowed for digital products (Telegram Stars pay for digital goods)")
    photo = _photo(_text(record, "photo"), base_dir, problems)
    digital_kind, digital_content = _digital(record, is_digital, base_dir, problems)
    if digital_kind == "code" and stock is not None and stock > len(codes := delivery.codes_in(digital_content)):
        # Every unit sold takes its own code: more stock than codes would sell codes that do not exist.
        problems.append(f"stock {stock} is more than the {len(codes)} code(s) in digital_content (one code a line)")
    if problems or price is None:
        return None, problems
    return (
        ProductRow(
            sku=sku,
            title_en=title_en,
            title_zh=title_zh,
            category=category,
            price=price,
            currency=currency,
            stock=stock or 0,
            description_en=_text(record, "description_en"),
            description_zh=_text(record, "description_zh"),
            category_en=_text(record, "category_en") or None,
            category_zh=_text(record, "category_zh") or None,
            photo=photo,
            tags=" ".join(_text(record, "tags").split()),
            is_digital=is_digital,
            stars_price=stars_price,
            active=active,
            digital_kind=digital_kind,
            digital_content=digital_content,
        ),
        [],
    )


def _validate_category(line: int, record: Any, errors: list[RowError]) -> CategoryRow | None:
    if not isinstance(record, Mapping):
        errors.append(RowError(line, "a category must be a mapping with slug, name_en, name_zh"))
        return None
    slug = str(record.get("slug") or "").strip()
    problems = []
    if not SLUG_RE.match(slug):
        problems.append(f"category slug {slug!r} must be lowercase a-z 0-9 _ -")
    unknown = [str(k) for k in record if k not in ("slug", "name_en", "name_zh", "position")]
    if unknown:
        problems.append(f"unknown category field(s): {', '.join(unknown)}")
    position = _int(record.get("position"), "position", problems)
    if problems:
        errors.extend(RowError(line, p) for p in problems)
        return None
    return CategoryRow(slug, record.get("name_en") or None, record.get("name_zh") or None, position)


def parse_text(text: str, fmt: str, *, default_currency: str = "CNY", base_dir: Path | None = None) -> ParsedFile:
    """Validate every record; raise ImportRejected listing every bad row, or return the clean rows."""
    category_records: list[tuple[int, dict[str, Any]]] = []
    if fmt == "csv":
        records = list(_csv_records(text))
    elif fmt == "yaml":
        records, category_records = _yaml_records(text)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    errors: list[RowError] = []
    categories = [c for line, rec in category_records if (c := _validate_category(line, rec, errors)) is not None]
    rows: list[ProductRow] = []
    first_line: dict[str, int] = {}
    for line, record in records:
        row, problems = validate_record(record, default_currency=default_currency, base_dir=base_dir)
        errors.extend(RowError(line, problem) for problem in problems)
        if row is None:
            continue
        if row.sku in first_line:
            errors.append(RowError(line, f"duplicate sku {row.sku!r} (first on line {first_line[row.sku]})"))
            continue
        first_line[row.sku] = line
        rows.append(row)
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line))
    return ParsedFile(rows, categories)


def parse_file(path: Path, fmt: str | None = None, *, default_currency: str = "CNY") -> ParsedFile:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected([RowError(1, "the file is not UTF-8 text")]) from exc
    return parse_text(text, detect_format(path, fmt), default_currency=default_currency, base_dir=path.parent)


async def import_parsed(
    db: Database,
    parsed: ParsedFile,
    *,
    progress: Callable[[int], None] | None = None,
    actor_id: int | None = None,
) -> UpsertStats:
    """Write a validated file in ONE transaction: a failure part-way leaves the catalog as it was. Prices and
    stock set by a file are staff edits: the import leaves one audit row with what it changed."""
    async with db.tx() as session:
        stats = await upsert_products(session, parsed.rows, categories=parsed.categories, progress=progress)
        if stats.inserted or stats.updated:
            await audit.record(
                session,
                actor_id=actor_id,
                actor_role="admin" if actor_id is not None else audit.CLI,
                action="catalog.import",
                target=f"products:{stats.inserted + stats.updated}",
                after={
                    "inserted": stats.inserted,
                    "updated": stats.updated,
                    "unchanged": stats.unchanged,
                    "skus": stats.skus[:50],
                },
            )
    if len(parsed.rows) >= ANALYZE_ROWS:
        await analyze_products(db)
    return stats


async def import_file(
    db: Database,
    path: Path,
    fmt: str | None = None,
    *,
    default_currency: str = "CNY",
    progress: Callable[[int], None] | None = None,
) -> UpsertStats:
    parsed = parse_file(path, fmt, default_currency=default_currency)
    return await import_parsed(db, parsed, progress=progress)


# ---------------------------------------------------------------------------------------------- export


def format_major(amount: int, currency: str) -> str:
    """Minor units back to the plain major-unit text the import reads ('1250' CNY -> '12.50')."""
    exp = exponent(currency)
    whole, frac = divmod(amount, 10**exp)
    return f"{whole}.{frac:0{exp}d}" if exp else str(whole)


async def export_records(db: Database) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    categories, products = await export_catalog(db)
    async with db.scan() as session:
        handed_over = {
            sku: (kind, content)
            for sku, kind, content in await session.execute(
                select(Product.sku, Product.digital_kind, Product.digital_content).where(
                    Product.digital_content.is_not(None)
                )
            )
        }
    cat_records = [
        {"slug": c.slug, "name_en": c.name_en, "name_zh": c.name_zh, "position": c.position} for c in categories
    ]
    records = []
    for item in products:
        p, c = item.product, item.category
        records.append(
            {
                "sku": p.sku,
                "title_en": p.title_en,
                "title_zh": p.title_zh,
                "description_en": p.description_en,
                "description_zh": p.description_zh,
                "category": c.slug,
                "category_en": c.name_en,
                "category_zh": c.name_zh,
                "price": format_major(p.price, p.currency),
                "currency": p.currency,
                "stock": p.stock,
                "photo": p.photo or "",
                "tags": p.tags,
                "is_digital": p.is_digital,
                "stars_price": p.stars_price,
                "active": p.active,
                "digital_kind": handed_over.get(p.sku, (None, None))[0],
                "digital_content": handed_over.get(p.sku, (None, None))[1],
            }
        )
    return cat_records, records


def render_csv(records: Sequence[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(
            {
                key: ("true" if value else "false") if isinstance(value, bool) else ("" if value is None else value)
                for key, value in record.items()
            }
        )
    return out.getvalue()


def render_yaml(categories: Sequence[Mapping[str, Any]], records: Sequence[Mapping[str, Any]]) -> str:
    products = [
        {key: value for key, value in record.items() if key not in ("category_en", "category_zh")} for record in records
    ]
    return yaml.safe_dump(
        {"categories": list(categories), "products": products}, allow_unicode=True, sort_keys=False, width=120
    )


async def export_text(db: Database, fmt: str = "csv") -> str:
    categories, records = await export_records(db)
    if fmt == "csv":
        return render_csv(records)
    if fmt == "yaml":
        return render_yaml(categories, records)
    raise ValueError(f"unknown format {fmt!r}")
