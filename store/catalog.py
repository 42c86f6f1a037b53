"""The catalog: categories, product pages, product cards, stock adjustments and the bulk upsert used by the demo
seed and the import.

Every function takes the `Database` and runs its own unit of work; views get frozen dataclasses, never ORM rows.
Pages use keyset pagination over (category_id, id) so that a page costs the same on page 1 and page 2,000.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, exists, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import audit
from store.db import Database, rowcount
from store.errors import Conflict, NotFound
from store.models import Category, Product, utcnow
from store.money import STARS, Money

SEED_DATA_DIR = Path(__file__).parent / "seed_data"
# Deep links carry the SKU (`p_<sku>`), so a SKU is limited to what a /start payload allows; "-r_" would be read
# as the referral separator.
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

# A change to any of these is visible on a card or decides what a tap means, so it makes old buttons stale.
# Stock is not among them: it changes with every purchase and is re-checked live whenever it matters.
VISIBLE_FIELDS = (
    "category_id",
    "title_en",
    "title_zh",
    "description_en",
    "description_zh",
    "price",
    "currency",
    "is_digital",
    "stars_price",
    "photo",
    "active",
)


# What a paid digital product hands over: not on any card, so a change to it does not make buttons stale.
DELIVERY_FIELDS = ("digital_kind", "digital_content")


def valid_sku(sku: str) -> bool:
    return bool(SKU_RE.match(sku)) and "-r_" not in sku


@dataclass(frozen=True)
class CategoryView:
    id: int
    slug: str
    name_en: str
    name_zh: str
    position: int = 0

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" and self.name_zh else self.name_en


@dataclass(frozen=True)
class ProductView:
    id: int
    sku: str
    category_id: int
    title_en: str
    title_zh: str
    description_en: str
    description_zh: str
    price: int
    currency: str
    is_digital: bool
    stars_price: int | None
    stock: int
    photo: str | None
    photo_file_id: str | None
    tags: str
    active: bool
    version: int

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" and self.title_zh else self.title_en

    def description(self, lang: str) -> str:
        return self.description_zh if lang == "zh" and self.description_zh else self.description_en

    @property
    def money(self) -> Money:
        return Money(self.price, self.currency)

    @property
    def paid_money(self) -> Money:
        """The price as a buyer pays it, the one every list quotes: in Stars for a digital product (Telegram sells
        digital goods for Stars only), else the regular price."""
        if self.is_digital and self.stars_price:
            return Money(self.stars_price, STARS)
        return self.money

    @property
    def sold_out(self) -> bool:
        return self.stock <= 0

    @property
    def for_sale(self) -> bool:
        """Telegram sells digital goods for Stars only: a digital product without a Star price cannot be bought."""
        return not self.is_digital or bool(self.stars_price)


PRODUCT_COLUMNS = (
    Product.id,
    Product.sku,
    Product.category_id,
    Product.title_en,
    Product.title_zh,
    Product.description_en,
    Product.description_zh,
    Product.price,
    Product.currency,
    Product.is_digital,
    Product.stars_price,
    Product.stock,
    Product.photo,
    Product.photo_file_id,
    Product.tags,
    Product.active,
    Product.version,
)


def product_from_row(row: Row[Any] | Any) -> ProductView:
    """A ProductView from a row selected with PRODUCT_COLUMNS (other store modules join on it)."""
    return ProductView(
        id=row.id,
        sku=row.sku,
        category_id=row.category_id,
        title_en=row.title_en,
        title_zh=row.title_zh,
        description_en=row.description_en or "",
        description_zh=row.description_zh or "",
        price=row.price,
        currency=row.currency,
        is_digital=bool(row.is_digital),
        stars_price=row.stars_price,
        stock=row.stock,
        photo=row.photo,
        photo_file_id=row.photo_file_id,
        tags=row.tags or "",
        active=bool(row.active),
        version=row.version,
    )


def _category(row: Any) -> CategoryView:
    return CategoryView(row.id, row.slug, row.name_en, row.name_zh, row.position)


@dataclass(frozen=True)
class ProductPage:
    """One page of a category. `start` is the first product id on the page (the keyset anchor)."""

    category: CategoryView
    items: tuple[ProductView, ...]
    number: int
    start: int
    has_prev: bool
    has_next: bool
    # Per item, the values of the page query's extra columns (see `PageQuery`); empty for a plain page.
    extras: tuple[tuple[Any, ...], ...] = ()


# ---------------------------------------------------------------------------------------------- reading


async def list_categories(db: Database, *, physical_only: bool = False) -> list[CategoryView]:
    """Categories that have at least one active product (a physical one with `physical_only`: the group-buy
    wizard, which cannot sell digital goods), in shop order."""
    has_products = exists().where(Product.category_id == Category.id, Product.active.is_(True))
    if physical_only:
        has_products = has_products.where(Product.is_digital.is_(False))
    async with db.read() as session:
        rows = await session.execute(
            select(Category.id, Category.slug, Category.name_en, Category.name_zh, Category.position)
            .where(has_products)
            .order_by(Category.position, Category.id)
        )
        return [_category(row) for row in rows]


async def get_category(db: Database, category_id: int) -> CategoryView | None:
    async with db.read() as session:
        row = await session.get(Category, category_id)
        return _category(row) if row is not None else None


@dataclass(frozen=True)
class PageQuery:
    """A category page's product statements with `width` extra columns per product (a composing module's facts,
    such as a live flash price, read in the same statement instead of a second one)."""

    before: Select[*tuple[Any, ...]]
    after: Select[*tuple[Any, ...]]
    width: int


def page_query(*extra: ColumnElement[Any]) -> PageQuery:
    """Build once, at import: building a statement costs more than running it."""
    base = select(*PRODUCT_COLUMNS, *extra).where(
        Product.category_id == bindparam("category_id"), Product.active.is_(True)
    )
    return PageQuery(
        before=base.where(Product.id < bindparam("start")).order_by(Product.id.desc()).limit(bindparam("limit")),
        after=base.where(Product.id >= bindparam("start")).order_by(Product.id).limit(bindparam("limit")),
        width=len(extra),
    )


_PLAIN_PAGE = page_query()


async def product_page(
    db: Database,
    category_id: int,
    *,
    start: int = 0,
    backward: bool = False,
    number: int = 0,
    size: int = 6,
    query: PageQuery = _PLAIN_PAGE,
    params: dict[str, Any] | None = None,
) -> ProductPage:
    """A page of active products of a category ordered by id.

    Forward: the first `size` products with id >= start. Backward: the `size` products just before `start`
    (the previous page). Both are index range scans on (category_id, id), whatever the page number, and a page
    costs two queries: the category with "is there anything before start", then the products. `query` with
    `params`: the products' statements with extra columns (`page_query`), whose values land in `extras`.
    """
    bound = {"category_id": category_id, "limit": size + 1, **(params or {})}
    async with db.read() as session:
        head = (await session.execute(_PAGE_HEAD, {"category_id": category_id, "start": start})).first()
        if head is None:
            raise NotFound("catalog_not_found")
        category = _category(head)
        if backward:
            rows = list(await session.execute(query.before, {**bound, "start": start}))
            if rows:
                has_prev = len(rows) > size
                rows = rows[:size][::-1]
                number = max(number, 1) if has_prev else 0
                return _page(category, rows, number, has_prev=has_prev, has_next=True, width=query.width)
        else:
            rows = list(await session.execute(query.after, {**bound, "start": max(start, 0)}))
            if rows or start <= 0:
                # Nothing active lies between `start` and the page's first row: "anything before start" is has_prev.
                has_prev = bool(head.earlier) and start > 0
                return _forward_page(category, rows, number, size, has_prev=has_prev, width=query.width)
        # Nothing before (or the page emptied meanwhile): show the first page instead.
        rows = list(await session.execute(query.after, {**bound, "start": 0}))
        return _forward_page(category, rows, 0, size, has_prev=False, width=query.width)


# The head of every page, built once (building it cost more than the index range scan it runs).
_PAGE_HEAD = select(
    Category.id,
    Category.slug,
    Category.name_en,
    Category.name_zh,
    Category.position,
    exists()
    .where(Product.category_id == Category.id, Product.active.is_(True), Product.id < bindparam("start"))
    .label("earlier"),
).where(Category.id == bindparam("category_id"))


def _forward_page(
    category: CategoryView, rows: list[Any], number: int, size: int, *, has_prev: bool, width: int
) -> ProductPage:
    has_next = len(rows) > size
    return _page(category, rows[:size], number if has_prev else 0, has_prev=has_prev, has_next=has_next, width=width)


def _page(
    category: CategoryView, rows: list[Any], number: int, *, has_prev: bool, has_next: bool, width: int
) -> ProductPage:
    extras = tuple(tuple(row[len(row) - width :]) for row in rows) if width else ()
    first = rows[0].id if rows else 0
    return ProductPage(category, tuple(map(product_from_row, rows)), number, first, has_prev, has_next, extras)


# Built once (a card's first read): building the statement took longer than the indexed read (0.07 ms).
_PRODUCT_BY_ID = select(*PRODUCT_COLUMNS).where(Product.id == bindparam("product_id"))


async def get_product(db: Database, product_id: int) -> ProductView | None:
    async with db.read() as session:
        row = (await session.execute(_PRODUCT_BY_ID, {"product_id": product_id})).first()
        return product_from_row(row) if row is not None else None


async def get_product_by_sku(db: Database, sku: str) -> ProductView | None:
    async with db.read() as session:
        row = (await session.execute(select(*PRODUCT_COLUMNS).where(Product.sku == sku))).first()
        return product_from_row(row) if row is not None else None


async def first_sku(db: Database) -> str | None:
    """The catalog's first product (active first): a SKU an admin's example can name truthfully."""
    async with db.read() as session:
        query = select(Product.sku).order_by(Product.active.desc(), Product.id).limit(1)
        return (await session.execute(query)).scalar_one_or_none()


async def count_products(db: Database) -> int:
    async with db.read() as session:
        return int((await session.execute(select(func.count()).select_from(Product))).scalar_one())


def resolve_photo(photo: str | None) -> Path | None:
    """The local file behind a product's `photo` (None for URLs and missing files).

    Relative paths are relative to the demo data folder (where the seed's photos live), then to the working
    directory; imports store absolute paths for files elsewhere.
    """
    if not photo or photo.startswith(("http://", "https://")):
        return None
    path = Path(photo)
    candidates = [path] if path.is_absolute() else [SEED_DATA_DIR / path, Path.cwd() / path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def portable_photo_path(path: Path) -> str:
    """How to store a local photo: relative to the demo data folder when inside it, else absolute."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(SEED_DATA_DIR.resolve()).as_posix()
    except ValueError:
        return str(resolved)


# ---------------------------------------------------------------------------------------------- writing


async def save_photo_file_id(db: Database, product_id: int, photo: str | None, file_id: str) -> None:
    """Cache Telegram's file id for the product's current photo (no version bump: the picture is the same).

    The update only applies while `photo` is still the product's photo, so a photo replaced in the meantime
    never gets the old picture's id.
    """
    async with db.tx() as session:
        await session.execute(
            update(Product)
            .where(Product.id == product_id, Product.photo == photo)
            .values(photo_file_id=file_id)
            .execution_options(synchronize_session=False)
        )


async def forget_photo_file_ids(db: Database) -> int:
    """Drop every cached Telegram file id of product photos (one UPDATE, no version bump); returns how many.

    For a Telegram that forgot its files, as the sandbox's emulator does when it restarts: the next card uploads
    the photo again instead of sending an id that is refused first.
    """
    async with db.tx() as session:
        result = await session.execute(
            update(Product)
            .where(Product.photo_file_id.is_not(None))
            .values(photo_file_id=None)
            .execution_options(synchronize_session=False)
        )
        return rowcount(result)


async def adjust_stock(db: Database, sku: str, delta: int, actor_id: int | None = None) -> int:
    """Add `delta` (may be negative) to a product's stock; refused when it would go below zero. Returns the new
    stock. A conditional update, so concurrent adjustments and purchases never oversell (DESIGN.md)."""
    async with db.tx() as session:
        result = await session.execute(
            update(Product)
            .where(Product.sku == sku, Product.stock + delta >= 0)
            .values(stock=Product.stock + delta, updated_at=utcnow())
            .returning(Product.stock)
            .execution_options(synchronize_session=False)
        )
        row = result.first()
        if row is not None:
            stock = int(row[0])
            await audit.record_stock(session, actor_id, sku, stock - delta, stock)
            return stock
        current = (await session.execute(select(Product.stock).where(Product.sku == sku))).first()
        if current is None:
            raise NotFound("catalog_product_not_found", sku=sku)
        raise Conflict("catalog_stock_negative", sku=sku, stock=int(current[0]), delta=delta)


async def set_active(db: Database, sku: str, active: bool, actor_id: int | None = None) -> bool:
    """Show or hide a product; True when it changed (and audited). Hiding makes its old buttons stale (version
    bump)."""
    async with db.tx() as session:
        result = await session.execute(
            update(Product)
            .where(Product.sku == sku, Product.active.is_(not active))
            .values(active=active, version=Product.version + 1, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if rowcount(result):
            await audit.record(
                session,
                actor_id=actor_id,
                actor_role="admin" if actor_id is not None else audit.CLI,
                action="product.show" if active else "product.hide",
                target=f"product:{sku}",
                before={"active": not active},
                after={"active": active},
            )
            return True
        if (await session.execute(select(Product.id).where(Product.sku == sku))).first() is None:
            raise NotFound("catalog_product_not_found", sku=sku)
        return False



# ---------------------------------------------------------------------------------------------- bulk upsert


@dataclass(frozen=True)
class CategoryRow:
    slug: str
    name_en: str | None = None
    name_zh: str | None = None
    position: int | None = None


@dataclass(frozen=True)
class ProductRow:
    """A validated product from the seed or an import file (price already in minor units)."""

    sku: str
    title_en: str
    title_zh: str
    category: str
    price: int
    currency: str
    stock: int
    description_en: str = ""
    description_zh: str = ""
    category_en: str | None = None
    category_zh: str | None = None
    photo: str | None = None
    tags: str = ""
    is_digital: bool = False
    stars_price: int | None = None
    active: bool = True
    digital_kind: str | None = None  # code | link | file (store.delivery)
    digital_content: str | None = None


@dataclass
class UpsertStats:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    categories_created: int = 0
    skus: list[str] = field(default_factory=list)


_CHUNK = 500
_WHOLE_TABLE_ROWS = 2000


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


async def _upsert_categories(
    session: AsyncSession, categories: Sequence[CategoryRow], rows: Sequence[ProductRow], stats: UpsertStats
) -> dict[str, int]:
    wanted: dict[str, CategoryRow] = {c.slug: c for c in categories}
    for row in rows:
        if row.category not in wanted:
            wanted[row.category] = CategoryRow(row.category, row.category_en, row.category_zh)
        elif row.category_en or row.category_zh:
            known = wanted[row.category]
            wanted[row.category] = CategoryRow(
                row.category,
                known.name_en or row.category_en,
                known.name_zh or row.category_zh,
                known.position,
            )
    existing = {
        c.slug: c for c in (await session.execute(select(Category).where(Category.slug.in_(list(wanted))))).scalars()
    }
    next_position = int((await session.execute(select(func.coalesce(func.max(Category.position), 0)))).scalar_one())
    ids: dict[str, int] = {}
    for slug, spec in wanted.items():
        cat = existing.get(slug)
        if cat is None:
            next_position += 1
            cat = Category(
                slug=slug,
                name_en=spec.name_en or slug,
                name_zh=spec.name_zh or spec.name_en or slug,
                position=spec.position if spec.position is not None else next_position,
            )
            session.add(cat)
            await session.flush()
            stats.categories_created += 1
        else:
            if spec.name_en:
                cat.name_en = spec.name_en
            if spec.name_zh:
                cat.name_zh = spec.name_zh
            if spec.position is not None:
                cat.position = spec.position
        ids[slug] = cat.id
    return ids


async def upsert_products(
    session: AsyncSession,
    rows: Sequence[ProductRow],
    *,
    categories: Sequence[CategoryRow] = (),
    progress: Callable[[int], None] | None = None,
    keep_stock: bool = False,
) -> UpsertStats:
    """Insert or update products by SKU inside the caller's transaction, in bulk (no per-row round trips).

    A product's version goes up only when a visible field changed. Stock is set to the given value, unless
    `keep_stock` (the demo seed re-run on a live sandbox must not refill what shoppers bought).
    """
    stats = UpsertStats()
    category_ids = await _upsert_categories(session, categories, rows, stats)
    now = utcnow()
    columns = (
        Product.id,
        Product.sku,
        Product.stock,
        Product.tags,
        Product.version,
        Product.photo_file_id,
        Product.digital_kind,
        Product.digital_content,
        *_visible_columns(),
    )
    everything: dict[str, Any] | None = None
    if len(rows) >= _WHOLE_TABLE_ROWS:
        # A big file touches much of the table: one scan beats thousands of IN lookups (whose plans PostgreSQL
        # sometimes gets badly wrong on a table that grew inside this very transaction).
        everything = {r.sku: r for r in await session.execute(select(*columns))}
    for chunk in _chunks(rows):
        skus = [r.sku for r in chunk]
        if everything is not None:
            current = {sku: everything[sku] for sku in skus if sku in everything}
        else:
            current = {r.sku: r for r in await session.execute(select(*columns).where(Product.sku.in_(skus)))}
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for row in chunk:
            values = _values(row, category_ids[row.category])
            old = current.get(row.sku)
            if old is None:
                inserts.append({**values, "sku": row.sku, "version": 1, "created_at": now, "updated_at": now})
                continue
            if keep_stock:
                values["stock"] = old.stock
            visible_changed = any(getattr(old, name) != values[name] for name in VISIBLE_FIELDS)
            delivery_changed = any(getattr(old, name) != values[name] for name in DELIVERY_FIELDS)
            if (
                not visible_changed
                and not delivery_changed
                and old.stock == values["stock"]
                and old.tags == values["tags"]
            ):
                stats.unchanged += 1
                continue
            updates.append(
                {
                    **values,
                    "id": old.id,
                    "updated_at": now,
                    "version": old.version + int(visible_changed),
                    # A new picture needs a new upload: forget Telegram's id for the old one.
                    "photo_file_id": old.photo_file_id if old.photo == values["photo"] else None,
                }
            )
        if inserts:
            await session.execute(insert(Product), inserts)
            stats.inserted += len(inserts)
        if updates:
            await session.execute(update(Product), updates)  # bulk UPDATE by primary key (executemany)
        stats.updated += len(updates)
        stats.skus.extend(skus)
        if progress is not None:
            progress(len(chunk))
    return stats


async def analyze_products(db: Database) -> None:
    """Refresh the planner's statistics after a big import, so catalog pages keep their index plans at once
    instead of after the next autovacuum (PostgreSQL)."""
    if db.dialect == "postgresql":
        async with db.tx() as session:
            await session.execute(text("ANALYZE products"))


def _visible_columns() -> list[Any]:
    return [getattr(Product, name) for name in VISIBLE_FIELDS]


def _values(row: ProductRow, category_id: int) -> dict[str, Any]:
    return {
        "category_id": category_id,
        "title_en": row.title_en,
        "title_zh": row.title_zh,
        "description_en": row.description_en,
        "description_zh": row.description_zh,
        "price": row.price,
        "currency": row.currency,
        "is_digital": row.is_digital,
        "stars_price": row.stars_price,
        "stock": row.stock,
        "photo": row.photo,
        "tags": row.tags,
        "active": row.active,
        "digital_kind": row.digital_kind,
        "digital_content": row.digital_content,
    }


# ---------------------------------------------------------------------------------------------- export


@dataclass(frozen=True)
class ExportedProduct:
    product: ProductView
    category: CategoryView


async def export_catalog(db: Database) -> tuple[list[CategoryView], list[ExportedProduct]]:
    """Every category and product (inactive ones too), for the export."""
    async with db.scan() as session:
        cats = [
            _category(c)
            for c in await session.execute(
                select(Category.id, Category.slug, Category.name_en, Category.name_zh, Category.position).order_by(
                    Category.position, Category.id
                )
            )
        ]
        by_id = {c.id: c for c in cats}
        rows = await session.execute(select(*PRODUCT_COLUMNS).order_by(Product.id))
        return cats, [ExportedProduct(p, by_id[p.category_id]) for p in map(product_from_row, rows)]
