"""Wishlists: the heart on a product card, the /wishlist page, and the notices a wished product earns.

A shopper is told once per event: the first time a wished product's price falls below what they saw when
they wished for it (and again only at a lower price still; the price a buyer pays, ProductView.paid_money: in
Telegram Stars for a digital product, as every list quotes it), when it comes back in stock, when a flash sale
or a group buy of it starts. "Once" is a unique row per (shopper, product, event) written in the same
transaction as the outbox message, so a re-run of the scan never tells anyone twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store import flashsale, notify
from store.catalog import PRODUCT_COLUMNS, ProductView, product_from_row
from store.db import Database
from store.errors import Conflict, NotFound
from store.flashsale.views import LivePrice, live_price_columns, live_price_in
from store.models import Product, User, utcnow
from store.models.groupbuy import GroupBuy
from store.models.social import WishlistItem, WishlistNotice

PAGE_SIZE = 8
NOTICE_TEMPLATE = "social.wish_notice"
SOLD_OUT = "soldout"  # a marker, not a notice: the product was seen sold out, so its return will be told
MAX_ITEMS = 200  # a wishlist is a short list a person reads, not a second catalog


@dataclass(frozen=True)
class WishlistPage:
    items: list[ProductView]
    page: int
    pages: int
    total: int
    # The listed products on a live flash sale open to everyone with units left, by product id: what their
    # card's Buy button charges now (flashsale.live_prices_in's rule).
    flash: dict[int, LivePrice] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    """One thing to tell one shopper about one wished product."""

    user_id: int
    language: str
    product: ProductView
    event: str  # price | stock | flash | groupbuy
    ref: int  # the new price, the sale's or the group buy's id, or the stock count


async def _insert_ignore(session: AsyncSession, row: object) -> bool:
    """Insert, or do nothing when the unique key exists (a double tap, a re-delivered update, a re-run)."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def add(db: Database, user_id: int, product_id: int) -> bool:
    """True when the product was added now, False when it was already on the wishlist."""
    async with db.tx() as session:
        row = (
            await session.execute(select(*PRODUCT_COLUMNS).where(Product.id == product_id, Product.active.is_(True)))
        ).first()
        if row is None:
            raise NotFound("catalog_product_unavailable")
        # One shopper's adds one at a time (their user row locked; SQLite writes are serial anyway): under READ
        # COMMITTED two adds at once each counted only their own insert, and a full list took both.
        await session.execute(select(User.id).where(User.id == user_id).with_for_update())
        product = product_from_row(row)
        price = product.paid_money.amount
        # Insert first, count after: a product already on the list is "already there" however full the list is
        # (a full list refuses only a new item, and the refusal rolls the insert back with the transaction).
        added = await _insert_ignore(session, WishlistItem(user_id=user_id, product_id=product_id, price_seen=price))
        if not added:
            return False
        count = await session.scalar(select(func.count()).where(WishlistItem.user_id == user_id))
        if (count or 0) > MAX_ITEMS:
            raise Conflict("wishlist_full")
        if not product.stock:  # wished while sold out: its return is news
            await _insert_ignore(session, WishlistNotice(user_id=user_id, product_id=product_id, event=SOLD_OUT))
        return True


async def remove(db: Database, user_id: int, product_id: int) -> bool:
    async with db.tx() as session:
        result = await session.execute(
            delete(WishlistItem).where(WishlistItem.user_id == user_id, WishlistItem.product_id == product_id)
        )
        return bool(getattr(result, "rowcount", 0))


# Built once: every product card asks whether its heart is filled.
def wished_select(user_id: Any, product_id: Any) -> Select[int]:
    """A product on a shopper's wishlist (a row, or none); also a card's EXISTS."""
    return select(WishlistItem.product_id).where(WishlistItem.user_id == user_id, WishlistItem.product_id == product_id)


_WISHED = wished_select(bindparam("user_id"), bindparam("product_id"))


async def contains(db: Database, user_id: int, product_id: int) -> bool:
    async with db.read() as session:
        found = await session.scalar(_WISHED, {"user_id": user_id, "product_id": product_id})
    return found is not None


async def page(db: Database, user_id: int, number: int = 0, size: int = PAGE_SIZE) -> WishlistPage:
    async with db.read() as session:
        total = (
            await session.scalar(
                select(func.count())
                .select_from(WishlistItem)
                .join(Product, Product.id == WishlistItem.product_id)
                .where(WishlistItem.user_id == user_id, Product.active.is_(True))
            )
            or 0
        )
        pages = max(1, -(-total // size))
        number = max(0, min(number, pages - 1))
        rows = (
            await session.execute(_PAGE, {"user_id": user_id, "offset": number * size, "limit": size, "now": utcnow()})
        ).all()
    items = [product_from_row(row) for row in rows]
    live = (live_price_in(row) for row in rows)
    flash = {item.id: price for item, price in zip(items, live, strict=True) if price is not None}
    return WishlistPage(items, number, pages, total, flash)


# Built once, like the card's statement: a page of wished products with each one's live flash price (the
# cheapest sale open to everyone with units left, NULLs without one) as columns of the same read.
_PAGE = (
    select(
        *PRODUCT_COLUMNS,
        *live_price_columns(Product.id),
    )
    .join(WishlistItem, WishlistItem.product_id == Product.id)
    .where(WishlistItem.user_id == bindparam("user_id"), Product.active.is_(True))
    .order_by(WishlistItem.added_at.desc(), Product.id.desc())
    .offset(bindparam("offset"))
    .limit(bindparam("limit"))
)


async def claim_notices(session: AsyncSession, product_id: int, event: str, ref: int) -> list[Notice]:
    """Everyone who wished for the product and has not been told about this event yet, marked as told.

    Runs in the caller's transaction (the one that writes the outbox messages), so the notices and the
    messages commit together. `event` is price | stock | flash | groupbuy; for price, only shoppers who saw a
    higher price are told."""
    row = (await session.execute(select(*PRODUCT_COLUMNS).where(Product.id == product_id))).first()
    if row is None:
        return []
    product = product_from_row(row)
    query = (
        select(WishlistItem.user_id, User.language)
        .join(User, User.id == WishlistItem.user_id)
        .where(WishlistItem.product_id == product_id, User.unreachable.is_(False), User.erased_at.is_(None))
    )
    if event == "price":
        query = query.where(WishlistItem.price_seen > ref)
    key = f"{event}:{ref}"
    notices = []
    for user_id, language in (await session.execute(query)).all():
        if await _insert_ignore(session, WishlistNotice(user_id=user_id, product_id=product_id, event=key)):
            notices.append(Notice(user_id, language or "en", product, event, ref))
    return notices


async def changes_since(db: Database, since: datetime) -> list[int]:
    """Wished products changed since `since` (the notice scan looks only at those)."""
    async with db.read() as session:
        rows = await session.scalars(
            select(Product.id)
            .join(WishlistItem, WishlistItem.product_id == Product.id)
            .where(Product.updated_at >= since)
            .distinct()
        )
        return list(rows)


async def _wishers(session: AsyncSession, product_id: int, *, with_marker: bool = False) -> list[tuple[int, str]]:
    query = (
        select(WishlistItem.user_id, User.language)
        .join(User, User.id == WishlistItem.user_id)
        .where(WishlistItem.product_id == product_id, User.unreachable.is_(False), User.erased_at.is_(None))
    )
    if with_marker:
        query = query.join(
            WishlistNotice,
            (WishlistNotice.user_id == WishlistItem.user_id)
            & (WishlistNotice.product_id == WishlistItem.product_id)
            & (WishlistNotice.event == SOLD_OUT),
        )
    return [(user_id, language or "en") for user_id, language in (await session.execute(query)).all()]


async def scan(session: AsyncSession) -> list[Notice]:
    """Find what wished products have news (cheaper, back in stock, in a live flash sale, in an open group
    buy), and queue one outbox message per shopper and event, in the caller's transaction. Re-running it
    queues nothing new: every notice is a unique row, and the outbox is paced per chat when it sends."""
    rows = (
        await session.execute(
            select(*PRODUCT_COLUMNS)
            .where(Product.id.in_(select(WishlistItem.product_id).distinct()), Product.active.is_(True))
            .order_by(Product.id)
        )
    ).all()
    products = {row.id: product_from_row(row) for row in rows}
    notices: list[Notice] = []
    for product in products.values():
        notices += await claim_notices(session, product.id, "price", product.paid_money.amount)
        if product.stock <= 0:
            for user_id, _ in await _wishers(session, product.id):
                await _insert_ignore(session, WishlistNotice(user_id=user_id, product_id=product.id, event=SOLD_OUT))
        else:
            back = await _wishers(session, product.id, with_marker=True)
            if back:
                marker_ids = list(
                    await session.scalars(
                        select(WishlistNotice.id).where(
                            WishlistNotice.product_id == product.id,
                            WishlistNotice.event == SOLD_OUT,
                            WishlistNotice.user_id.in_([user for user, _ in back]),
                        )
                    )
                )
                await session.execute(delete(WishlistNotice).where(WishlistNotice.id.in_(marker_ids)))
                # The marker's id makes each return its own event: sold out twice, told twice.
                notices += [Notice(user, lang, product, "stock", max(marker_ids)) for user, lang in back]
    for product_id, live in (await flashsale.live_prices_in(session, products)).items():
        notices += await claim_notices(session, product_id, "flash", live.sale_id)
    buys = await session.execute(
        select(GroupBuy.id, GroupBuy.product_id).where(GroupBuy.status == "open", GroupBuy.product_id.in_(products))
    )
    for buy_id, product_id in buys.all():
        notices += await claim_notices(session, product_id, "groupbuy", buy_id)
    for notice in notices:
        await _queue(session, notice)
    return notices


async def _queue(session: AsyncSession, notice: Notice) -> None:
    product = notice.product
    was = None
    if notice.event == "price":
        was = await session.scalar(
            select(WishlistItem.price_seen).where(
                WishlistItem.user_id == notice.user_id, WishlistItem.product_id == product.id
            )
        )
        # Told about this price: only a lower one is news again.
        await session.execute(
            update(WishlistItem)
            .where(WishlistItem.user_id == notice.user_id, WishlistItem.product_id == product.id)
            .values(price_seen=product.paid_money.amount)
        )
    await notify.enqueue(
        session,
        notice.user_id,
        NOTICE_TEMPLATE,
        user_id=notice.user_id,
        dedupe_key=f"wish:{notice.user_id}:{product.id}:{notice.event}:{notice.ref}",
        event=notice.event,
        sku=product.sku,
        title_en=product.title_en,
        title_zh=product.title_zh,
        price=product.paid_money.amount,
        was=was,
        currency=product.paid_money.currency,
    )
