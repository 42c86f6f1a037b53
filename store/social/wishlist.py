"""Wishlists: the heart on a product card, the /wishlist page, and the notices a wished product earns.

A shopper is told once per event: the first time a wished product's price falls below what they saw when
they wished for it (and again only at a lower price still), when it comes back in stock, when a flash sale
or a group buy of it starts. "Once" is a unique row per (shopper, product, event) written in the same
transaction as the outbox message, so a re-run of the scan never tells anyone twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store.catalog import PRODUCT_COLUMNS, ProductView, product_from_row
from store.db import Database
from store.errors import Conflict, NotFound
from store.models import Product, User
from store.models.social import WishlistItem, WishlistNotice

PAGE_SIZE = 8
MAX_ITEMS = 200  # a wishlist is a short list a person reads, not a second catalog


@dataclass(frozen=True)
class WishlistPage:
    items: list[ProductView]
    page: int
    pages: int
    total: int


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
        price = await session.scalar(select(Product.price).where(Product.id == product_id, Product.active.is_(True)))
        if price is None:
            raise NotFound("catalog_product_unavailable")
        count = await session.scalar(select(func.count()).where(WishlistItem.user_id == user_id))
        if (count or 0) >= MAX_ITEMS:
            raise Conflict("wishlist_full")
        return await _insert_ignore(session, WishlistItem(user_id=user_id, product_id=product_id, price_seen=price))


async def remove(db: Database, user_id: int, product_id: int) -> bool:
    async with db.tx() as session:
        result = await session.execute(
            delete(WishlistItem).where(WishlistItem.user_id == user_id, WishlistItem.product_id == product_id)
        )
        return bool(getattr(result, "rowcount", 0))


async def contains(db: Database, user_id: int, product_id: int) -> bool:
    async with db.read() as session:
        found = await session.scalar(
            select(WishlistItem.product_id).where(
                WishlistItem.user_id == user_id, WishlistItem.product_id == product_id
            )
        )
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
        rows = await session.execute(
            select(*PRODUCT_COLUMNS)
            .join(WishlistItem, WishlistItem.product_id == Product.id)
            .where(WishlistItem.user_id == user_id, Product.active.is_(True))
            .order_by(WishlistItem.added_at.desc(), Product.id.desc())
            .offset(number * size)
            .limit(size)
        )
        items = [product_from_row(row) for row in rows]
    return WishlistPage(items, number, pages, total)


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
