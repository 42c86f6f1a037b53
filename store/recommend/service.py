"""Recommendations in the running shop: a snapshot of the model (store/recommend/model.py) rebuilt from the
orders and card visits on a schedule, and cheap lookups against it that check the live facts.

A card must render within its latency budget, so nothing here builds the model on a shopper's tap: a lookup
reads the current snapshot (a dictionary) and runs one small query (the candidates' stock and the shopper's
cart). When the snapshot is older than `ttl` the lookup starts a rebuild in the background and answers from
the old one; before the first build the answer is empty and the card simply has no suggestions yet.

What is out of stock, inactive or already in the shopper's cart is never suggested: those facts are read at
lookup time, not from the snapshot. A product on a live flash sale open to everyone with units left is in stock
(the sale's units were taken out of the product's own stock), and its suggestion quotes the flash price its card
charges: that price is read with the candidates, as columns of the same statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, exists, insert, or_, select

from store.cart import quantity_select
from store.catalog import PRODUCT_COLUMNS, ProductView, product_from_row
from store.db import Database
from store.flashsale.views import LivePrice, live_price_columns, live_price_in
from store.models import Order, OrderItem, Product, utcnow
from store.models.groupbuy import GroupBuy, GroupBuyParticipant
from store.models.social import ProductVisit
from store.recommend import model

log = logging.getLogger(__name__)

# Orders that mean the shopper wanted the product (money taken or promised at the counter).
BOUGHT_STATUSES = ("paid", "confirmed", "shipped", "delivered")
HORIZON = timedelta(days=365)
VISIT_HORIZON = timedelta(days=180)
VISIT_BATCH = 200
OVERFETCH = 4  # candidates per wanted suggestion: some will be sold out or in the cart


@dataclass(frozen=True)
class Visit:
    user_id: int
    product_id: int
    chat_id: int | None
    at: datetime


async def load_events(db: Database, now: datetime) -> tuple[list[model.Event], dict[int, set[int]]]:
    """Purchases and visits within the horizon, and which groups each shopper shops with (the groups whose
    cards they opened or whose group buys they joined)."""
    since = now - HORIZON
    events: list[model.Event] = []
    memberships: dict[int, set[int]] = defaultdict(set)
    async with db.scan() as session:
        bought = await session.execute(
            select(Order.user_id, OrderItem.product_id, Order.created_at)
            .join(OrderItem, OrderItem.order_id == Order.id)
            .where(Order.status.in_(BOUGHT_STATUSES), Order.created_at >= since)
        )
        events.extend(model.Event(row.user_id, row.product_id, row.created_at, model.BUY) for row in bought)
        visits = await session.execute(
            select(ProductVisit.user_id, ProductVisit.product_id, ProductVisit.chat_id, ProductVisit.at).where(
                ProductVisit.at >= now - VISIT_HORIZON
            )
        )
        for row in visits:
            events.append(model.Event(row.user_id, row.product_id, row.at, model.VIEW))
            if row.chat_id is not None and row.chat_id < 0:
                memberships[row.user_id].add(row.chat_id)
        joined = await session.execute(
            select(GroupBuyParticipant.user_id, GroupBuy.chat_id).join(
                GroupBuy, GroupBuy.id == GroupBuyParticipant.group_buy_id
            )
        )
        for user_id, chat_id in joined:
            memberships[user_id].add(chat_id)
    return events, memberships


async def order_products(db: Database, order_id: int) -> list[int]:
    """The products of an order: the seeds of the suggestions shown once it is placed."""
    async with db.read() as session:
        rows = await session.scalars(select(OrderItem.product_id).where(OrderItem.order_id == order_id))
        return list(rows)


class Suggestions(list[ProductView]):
    """Suggested products in rank order (a plain list to its readers), with `flash`: those on a live flash sale
    open to everyone with units left, by product id, at the price their card's Buy charges now
    (flashsale.live_prices_in's rule), read in the same statement as the products."""

    def __init__(self, items: Iterable[ProductView] = (), flash: Mapping[int, LivePrice] | None = None) -> None:
        super().__init__(items)
        self.flash: dict[int, LivePrice] = dict(flash or {})


# Built once: every product card's "You may also like" asks them (building cost more than the indexed reads).
# One statement, read on every card with suggestions: on sale, in stock (or on a live flash sale with units
# left, whose units were taken out of the stock) and not in the shopper's cart (with no shopper, user_id NULL,
# the cart test finds nothing); with each one's live flash price (NULLs without one) as columns.
_FLASH = live_price_columns(Product.id)
_AVAILABLE = select(*PRODUCT_COLUMNS, *_FLASH).where(
    Product.id.in_(bindparam("ids", expanding=True)),
    Product.active.is_(True),
    or_(Product.stock > 0, _FLASH[0].is_not(None)),
    ~exists(quantity_select(bindparam("user_id"), Product.id)),
)


class Recommender:
    """One per process (kept in the bot's context); several processes each keep their own snapshot."""

    def __init__(
        self,
        db: Database,
        *,
        ttl: timedelta = timedelta(minutes=15),
        clock: Callable[[], datetime] = utcnow,
        params: model.Params | None = None,
    ) -> None:
        self.db = db
        self.ttl = ttl
        self.clock = clock
        self.params = params or model.Params()
        self.snapshot: model.Snapshot | None = None
        self._visits: list[Visit] = []
        self._refreshing: asyncio.Task[model.Snapshot] | None = None
        self._flushing: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------------------------------ building

    async def refresh(self) -> model.Snapshot:
        """Rebuild now (the scheduled path, and tests). The model is built off the event loop."""
        await self.flush_visits()
        now = self.clock()
        events, memberships = await load_events(self.db, now)
        snapshot = await asyncio.to_thread(model.build, events, memberships, now, self.params)
        self.snapshot = snapshot
        with contextlib.suppress(Exception):  # pruning is housekeeping: never fail a rebuild on it
            async with self.db.tx() as session:
                await session.execute(delete(ProductVisit).where(ProductVisit.at < now - VISIT_HORIZON))
        return snapshot

    def current(self) -> model.Snapshot | None:
        """The snapshot to answer from; starts a background rebuild when it is missing or old."""
        stale = self.snapshot is None or self.clock() - self.snapshot.built_at > self.ttl
        if stale and (self._refreshing is None or self._refreshing.done()):
            self._refreshing = asyncio.get_running_loop().create_task(self._refresh_logged())
        return self.snapshot

    async def _refresh_logged(self) -> model.Snapshot:
        try:
            return await self.refresh()
        except Exception:
            log.exception("recommendations could not be rebuilt; the previous snapshot stays")
            raise

    async def wait_idle(self) -> None:
        """Tests: wait for a background rebuild or visit flush to finish."""
        for task in (self._refreshing, self._flushing):
            if task is not None:
                with contextlib.suppress(Exception):
                    await task

    # ------------------------------------------------------------------------------------------ visits

    def note_visit(self, user_id: int, product_id: int, chat_id: int | None = None) -> None:
        """Remember a card opening; written in batches (a lost batch costs a little signal, never a sale)."""
        self._visits.append(Visit(user_id, product_id, chat_id, self.clock()))
        if len(self._visits) >= VISIT_BATCH and (self._flushing is None or self._flushing.done()):
            self._flushing = asyncio.get_running_loop().create_task(self.flush_visits())

    async def flush_visits(self) -> None:
        batch, self._visits = self._visits, []
        if not batch:
            return
        try:
            async with self.db.tx() as session:
                await session.execute(
                    insert(ProductVisit),
                    [
                        {"user_id": v.user_id, "product_id": v.product_id, "chat_id": v.chat_id, "at": v.at}
                        for v in batch
                    ],
                )
        except Exception:
            log.exception("%d product visits could not be saved", len(batch))

    # ------------------------------------------------------------------------------------------ lookups

    async def similar(self, user_id: int | None, product_id: int, n: int = 3) -> Suggestions:
        """ "You may also like" on a product card."""
        snapshot = self.current()
        if snapshot is None:
            return Suggestions()
        candidates = model.similar(snapshot, product_id, n * OVERFETCH)
        return await self.available(candidates, user_id, n)

    async def for_user(self, user_id: int, n: int = 5, *, seeds: Iterable[int] = ()) -> Suggestions:
        """ "For you" in the private menu, and after checkout (`seeds`: what was just ordered)."""
        snapshot = self.current()
        if snapshot is None:
            return Suggestions()
        seed_list = list(seeds)
        candidates = model.for_user(snapshot, user_id, n * OVERFETCH, seeds=seed_list, params=self.params)
        return await self.available(candidates, user_id, n, exclude=seed_list)

    async def for_group(self, chat_id: int, n: int = 3) -> Suggestions:
        """ "Popular in this group" on the group's catalog card."""
        snapshot = self.current()
        if snapshot is None:
            return Suggestions()
        return await self.available(model.popular_in_group(snapshot, chat_id, n * OVERFETCH), None, n)

    async def available(
        self, candidates: list[int], user_id: int | None, n: int, *, exclude: Iterable[int] = ()
    ) -> Suggestions:
        """The first `n` candidates that are on sale, in stock and not in the shopper's cart, in rank order, with
        the live flash prices among them (one statement)."""
        skip = set(exclude)
        wanted = [product for product in candidates if product not in skip]
        if not wanted:
            return Suggestions()
        async with self.db.read() as session:
            rows = (await session.execute(_AVAILABLE, {"ids": wanted, "user_id": user_id, "now": utcnow()})).all()
        products = {row.id: product_from_row(row) for row in rows}
        live = {row.id: live_price_in(row) for row in rows}
        picked = [products[product] for product in wanted if product in products][:n]
        return Suggestions(picked, {p.id: price for p in picked if (price := live[p.id]) is not None})
