"""Each group's weekly "what's hot" card: the products its members bought most in the last seven days, the
group buys open in it and the flash sales coming up, gathered once a week for every group the bot is in.

A group's members, for the shop, are the shoppers seen there: who opened a product card in the group or
joined one of its group buys (the same signal the recommender's "popular in this group" uses).

The card is an outbox row whose dedupe key names the group and the ISO week, so however often the weekly
event runs (a restart at the scheduled minute, two processes, a rescheduled day), a group gets one card a
week. A group with nothing to show gets none. Its admins can turn the card off (and on again) with the
button on it: `chats.digest_enabled`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import notify
from store.db import Database, rowcount
from store.flashsale.rules import shown_prices
from store.models import Chat, Order, OrderItem, Product
from store.models.flashsale import FlashSale
from store.models.groupbuy import GroupBuy, GroupBuyParticipant
from store.models.social import ProductVisit

TEMPLATE = "social.digest"
WINDOW = timedelta(days=7)
TOP_PRODUCTS = 3
LIVE_BUYS = 3
UPCOMING_SALES = 3
# Orders that mean the shopper wanted the product (money taken or promised at the counter).
BOUGHT_STATUSES = ("paid", "confirmed", "shipped", "delivered")
GROUP_TYPES = ("group", "supergroup")
PRESENT = ("member", "administrator")


@dataclass(frozen=True)
class Digest:
    chat_id: int
    week: str
    products: list[dict[str, Any]] = field(default_factory=list)
    buys: list[dict[str, Any]] = field(default_factory=list)
    sales: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.products or self.buys or self.sales)

    def params(self) -> dict[str, Any]:
        """What the outbox row carries (JSON): the card is drawn from these at send time."""
        return {"week": self.week, "products": self.products, "buys": self.buys, "sales": self.sales}


def week_of(moment: datetime, timezone: str) -> str:
    """The shop's ISO week of `moment`, e.g. 2026-W49: the unit a group gets one card for."""
    year, week, _day = moment.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def dedupe_key(chat_id: int, week: str) -> str:
    return f"digest:{chat_id}:{week}"


async def groups(session: AsyncSession, exclude: Iterable[int] = ()) -> list[int]:
    """Groups the bot is in whose admins have not turned the digest off."""
    query = select(Chat.id).where(
        Chat.type.in_(GROUP_TYPES), Chat.bot_status.in_(PRESENT), Chat.digest_enabled.is_(True)
    )
    skip = list(exclude)
    if skip:
        query = query.where(Chat.id.not_in(skip))
    return list(await session.scalars(query.order_by(Chat.id)))


def _members(chat_id: int) -> Any:
    visited = select(ProductVisit.user_id).where(ProductVisit.chat_id == chat_id)
    joined = (
        select(GroupBuyParticipant.user_id)
        .join(GroupBuy, GroupBuy.id == GroupBuyParticipant.group_buy_id)
        .where(GroupBuy.chat_id == chat_id)
    )
    return union(visited, joined).subquery()


def _titles(product: Any) -> dict[str, Any]:
    return {"id": product.id, "sku": product.sku, "title_en": product.title_en, "title_zh": product.title_zh}


async def hot_products(
    session: AsyncSession, chat_id: int, now: datetime, n: int = TOP_PRODUCTS
) -> list[dict[str, Any]]:
    """What most of the group's members bought in the last seven days (buyers first, then units)."""
    members = _members(chat_id)
    buyers = func.count(func.distinct(Order.user_id))
    units = func.sum(OrderItem.quantity)
    rows = await session.execute(
        select(
            Product.id, Product.sku, Product.title_en, Product.title_zh, buyers.label("buyers"), units.label("units")
        )
        .join(OrderItem, OrderItem.product_id == Product.id)
        .join(Order, Order.id == OrderItem.order_id)
        .where(
            Order.user_id.in_(select(members.c.user_id)),
            Order.status.in_(BOUGHT_STATUSES),
            Order.created_at >= now - WINDOW,
            Product.active.is_(True),
        )
        .group_by(Product.id, Product.sku, Product.title_en, Product.title_zh)
        .order_by(buyers.desc(), units.desc(), Product.id)
        .limit(n)
    )
    return [{**_titles(row), "buyers": int(row.buyers), "units": int(row.units or 0)} for row in rows]


async def live_buys(session: AsyncSession, chat_id: int, now: datetime, n: int = LIVE_BUYS) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(
            GroupBuy.id,
            GroupBuy.joined,
            GroupBuy.min_participants,
            GroupBuy.deadline,
            GroupBuy.tiers,
            GroupBuy.base_price,
            GroupBuy.currency,
            Product.id.label("product_id"),
            Product.sku,
            Product.title_en,
            Product.title_zh,
        )
        .join(Product, Product.id == GroupBuy.product_id)
        .where(GroupBuy.chat_id == chat_id, GroupBuy.status == "open", GroupBuy.deadline > now)
        .order_by(GroupBuy.deadline, GroupBuy.id)
        .limit(n)
    )
    out = []
    for row in rows:
        prices = [int(tier[1]) for tier in row.tiers or [] if len(tier) > 1]
        out.append(
            {
                "id": row.id,
                "sku": row.sku,
                "title_en": row.title_en,
                "title_zh": row.title_zh,
                "joined": int(row.joined),
                "min": int(row.min_participants),
                "price": min(prices, default=int(row.base_price)),
                "currency": row.currency,
                "deadline": row.deadline.isoformat(),
            }
        )
    return out


async def upcoming_sales(
    session: AsyncSession, chat_id: int, now: datetime, n: int = UPCOMING_SALES
) -> list[dict[str, Any]]:
    """Flash sales starting within the next seven days that this group will be told about."""
    rows = await session.execute(
        select(FlashSale.id, FlashSale.price, FlashSale.currency, FlashSale.starts_at, FlashSale.groups, Product)
        .join(Product, Product.id == FlashSale.product_id)
        .where(FlashSale.status == "scheduled", FlashSale.starts_at > now, FlashSale.starts_at <= now + WINDOW)
        .order_by(FlashSale.starts_at, FlashSale.id)
    )
    out = []
    for row in rows:
        if row.groups is not None and chat_id not in {int(g) for g in row.groups}:
            continue  # a sale for other groups only
        product = row.Product
        # As the winners pay it: a digital product in Stars (Telegram's rule), as the sale's card quotes it.
        price, _ = shown_prices(
            int(product.price), row.currency, int(row.price), product.stars_price if product.is_digital else None
        )
        out.append(
            {
                **_titles(product),
                "id": row.id,
                "price": price.amount,
                "currency": price.currency,
                "starts_at": row.starts_at.isoformat(),
            }
        )
        if len(out) >= n:
            break
    return out


async def build(session: AsyncSession, chat_id: int, now: datetime, week: str) -> Digest:
    return Digest(
        chat_id,
        week,
        products=await hot_products(session, chat_id, now),
        buys=await live_buys(session, chat_id, now),
        sales=await upcoming_sales(session, chat_id, now),
    )


async def enqueue_week(session: AsyncSession, now: datetime, week: str, exclude: Iterable[int] = ()) -> int:
    """Queue this week's card for every group that has something to show; returns how many were queued
    (a group already sent its card for `week` is not queued again: the dedupe key)."""
    queued = 0
    for chat_id in await groups(session, exclude):
        digest = await build(session, chat_id, now, week)
        if digest.empty:
            continue
        row = await notify.enqueue(session, chat_id, TEMPLATE, dedupe_key=dedupe_key(chat_id, week), **digest.params())
        queued += row is not None
    return queued


async def is_enabled(db: Database, chat_id: int) -> bool:
    async with db.read() as session:
        enabled = await session.scalar(select(Chat.digest_enabled).where(Chat.id == chat_id))
    return enabled is None or bool(enabled)


async def set_enabled(db: Database, chat_id: int, enabled: bool) -> bool:
    """Turn the group's digest on or off; False when the group is unknown to the shop."""
    async with db.tx() as session:
        result = await session.execute(update(Chat).where(Chat.id == chat_id).values(digest_enabled=enabled))
    return bool(rowcount(result))
