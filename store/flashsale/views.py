"""What a sale looks like to its readers (admin list, cards, catalog prices), and loading it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Label, ScalarSelect, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import Database
from store.errors import NotFound
from store.flashsale.rules import COUNT_KEY, LIVE, SESSION_KEY, shown_prices, stars_price
from store.models import Product, utcnow
from store.models.flashsale import FlashSale
from store.money import Money


@dataclass(frozen=True)
class SaleSpec:
    sku: str
    price: int  # minor units
    stock: int
    starts_at: datetime
    ends_at: datetime
    per_user_limit: int = 1
    groups: tuple[int, ...] | None = None  # None: every group the bot is in
    subscribers: bool = True  # subscribers get the private announcement


@dataclass(frozen=True)
class SaleEdit:
    price: int | None = None
    stock: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    per_user_limit: int | None = None
    groups: tuple[int, ...] | None = None
    all_groups: bool = False
    subscribers: bool | None = None


@dataclass(frozen=True)
class SaleView:
    id: int
    product_id: int
    sku: str
    title_en: str
    title_zh: str
    regular_price: int
    price: int
    currency: str
    stock: int
    sold: int
    paid: int
    revenue: int
    returned: int
    per_user_limit: int
    starts_at: datetime
    ends_at: datetime
    status: str
    end_reason: str | None
    groups: tuple[int, ...] | None
    subscribers: bool = True
    # A digital product's Star price: Telegram sells digital goods for Stars only, so its card shows Stars.
    regular_stars: int | None = None

    @property
    def stars(self) -> int | None:
        """The flash price in Stars (what a winner of a digital product pays), None for physical goods."""
        if self.regular_stars is None:
            return None
        return stars_price(self.regular_price, self.regular_stars, self.price)

    @property
    def shown_prices(self) -> tuple[Money, Money]:
        """(flash price, regular price) as a buyer pays them: Stars for a digital product."""
        return shown_prices(self.regular_price, self.currency, self.price, self.regular_stars)

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    @property
    def remaining(self) -> int:
        return self.stock - self.sold

    @property
    def pending(self) -> int:
        """Units won and not yet paid."""
        return self.sold - self.paid

    def card_params(self, state: str) -> dict[str, Any]:
        """What the outbox needs to render the card without touching the database."""
        return {
            "sale_id": self.id,
            "state": state,
            "title_en": self.title_en,
            "title_zh": self.title_zh,
            "price": self.price,
            "regular_price": self.regular_price,
            "currency": self.currency,
            "stars": self.stars,
            "regular_stars": self.regular_stars,
            "stock": self.stock,
            "left": self.remaining,
            "limit": self.per_user_limit,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
        }

    def summary_params(self) -> dict[str, Any]:
        return {
            "sale_id": self.id,
            "title_en": self.title_en,
            "title_zh": self.title_zh,
            "stock": self.stock,
            "paid": self.paid,
            "pending": self.pending,
            "returned": self.returned,
            "revenue": self.revenue,
            "currency": self.currency,
            "reason": self.end_reason or "time",
        }


def _view(sale: FlashSale, product: Product) -> SaleView:
    return SaleView(
        id=sale.id,
        product_id=sale.product_id,
        sku=product.sku,
        title_en=product.title_en,
        title_zh=product.title_zh,
        regular_price=product.price,
        price=sale.price,
        currency=sale.currency,
        stock=sale.stock,
        sold=sale.sold,
        paid=sale.paid,
        revenue=sale.revenue,
        returned=sale.returned,
        per_user_limit=sale.per_user_limit,
        starts_at=sale.starts_at,
        ends_at=sale.ends_at,
        status=sale.status,
        end_reason=sale.end_reason,
        groups=tuple(int(g) for g in sale.groups) if sale.groups is not None else None,
        subscribers=sale.notify_subscribers is not False,
        regular_stars=product.stars_price if product.is_digital and product.stars_price else None,
    )


async def _load(session: AsyncSession, sale_id: int, *, lock: bool = False) -> tuple[FlashSale, SaleView]:
    query = select(FlashSale, Product).join(Product, Product.id == FlashSale.product_id).where(FlashSale.id == sale_id)
    if lock:
        query = query.with_for_update(of=FlashSale)
    row = (await session.execute(query.execution_options(populate_existing=True))).one_or_none()
    if row is None:
        raise NotFound("flash_not_found", sale_id=sale_id)
    return row[0], _view(row[0], row[1])


async def get_sale(db: Database, sale_id: int) -> SaleView:
    async with db.read() as session:
        return (await _load(session, sale_id))[1]


async def list_sales(db: Database, statuses: Iterable[str] | None = None, limit: int = 20) -> list[SaleView]:
    """Newest first."""
    async with db.read() as session:
        query = select(FlashSale, Product).join(Product, Product.id == FlashSale.product_id)
        if statuses is not None:
            query = query.where(FlashSale.status.in_(list(statuses)))
        rows = (await session.execute(query.order_by(FlashSale.id.desc()).limit(limit))).all()
        return [_view(sale, product) for sale, product in rows]



def _changed(session: AsyncSession, sale_id: int) -> None:
    session.info.setdefault(SESSION_KEY, set()).add(sale_id)


def _counted(session: AsyncSession, sale_id: int) -> None:
    """The units left of `sale_id` changed in this transaction (see COUNT_KEY)."""
    session.info.setdefault(COUNT_KEY, set()).add(sale_id)


@dataclass(frozen=True)
class LivePrice:
    """A live sale's price for a product, for the catalog card and search results."""

    sale_id: int
    price: int
    remaining: int


async def live_prices_in(session: AsyncSession, product_ids: Iterable[int]) -> dict[int, LivePrice]:
    """Products with a sale open to everyone and units left: the card and search show (and the Buy button
    charges) the flash price. A sale still in its early-access phase, or with every unit won, leaves the regular
    price on show, since that is what a shopper who is not a winner pays."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = await session.execute(_LIVE_PRICES, {"ids": ids, "now": utcnow()})
    out: dict[int, LivePrice] = {}
    for sale_id, product_id, price, remaining in rows.all():
        out.setdefault(int(product_id), LivePrice(int(sale_id), int(price), int(remaining)))
    return out


def _open_with_units(now: datetime | BindParameter[Any]) -> tuple[ColumnElement[bool], ...]:
    """A sale open to everyone now with units left (what `live_prices_in` shows)."""
    return (
        FlashSale.status == LIVE,
        FlashSale.starts_at <= now,
        FlashSale.ends_at > now,
        FlashSale.sold < FlashSale.stock,
    )


# Built once: every product card asks it, and building the statement cost more than running it (0.19 ms).
_LIVE_PRICES = (
    select(FlashSale.id, FlashSale.product_id, FlashSale.price, FlashSale.stock - FlashSale.sold)
    .where(
        FlashSale.product_id.in_(bindparam("ids", expanding=True)),
        *_open_with_units(bindparam("now", type_=FlashSale.starts_at.type)),
    )
    .order_by(FlashSale.price, FlashSale.id)
)


def live_price_selects(product_id: Any, now: Any) -> tuple[ScalarSelect[Any], ...]:
    """`live_prices_in` for one product as a card's scalar subqueries: (sale id, price, units left) of the same
    sale, the cheapest open to everyone with units left (NULLs: none); read with `live_price_of`."""

    def first(column: Any) -> ScalarSelect[Any]:
        return (
            select(column)
            .where(FlashSale.product_id == product_id, *_open_with_units(now))
            .order_by(FlashSale.price, FlashSale.id)
            .limit(1)
            .scalar_subquery()
        )

    return first(FlashSale.id), first(FlashSale.price), first(FlashSale.stock - FlashSale.sold)


def live_price_of(sale_id: Any, price: Any, remaining: Any) -> LivePrice | None:
    return LivePrice(int(sale_id), int(price), int(remaining)) if sale_id is not None else None


# The bound "now" of statements built once with `live_price_columns`: pass {"now": utcnow()} when running them.
NOW = bindparam("now", type_=FlashSale.starts_at.type)


def live_price_columns(product_id: Any) -> tuple[Label[Any], Label[Any], Label[Any]]:
    """`live_price_selects` at the statement's `now` as the columns flash_id, flash_price and flash_left of a
    statement that lists products (a card, a page, suggestions); read each row back with `live_price_in`."""
    sale_id, price, left = live_price_selects(product_id, NOW)
    return sale_id.label("flash_id"), price.label("flash_price"), left.label("flash_left")


def live_price_in(row: Any) -> LivePrice | None:
    return live_price_of(row.flash_id, row.flash_price, row.flash_left)


async def products_on_sale(session: AsyncSession) -> set[int]:
    """Products with a sale open to everyone and units left: buyable even when their own stock is 0 (the sale's
    units were taken out of it). Live sales are few; the status index finds them."""
    rows = await session.execute(select(FlashSale.product_id).where(*_open_with_units(utcnow())).distinct())
    return {int(pid) for pid in rows.scalars()}


async def live_prices(db: Database, product_ids: Iterable[int]) -> dict[int, LivePrice]:
    async with db.read() as session:
        return await live_prices_in(session, product_ids)
