"""The admin's order queues: which orders wait for which kind of work. A paid pickup order waits at the
counter, not for a courier, so it sits in the pickup queue with the orders paid there (pay on pickup), never in
"paid, to ship". Each line names the buyer and, for pickups, the code the counter asks for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select

from store import orders
from store.db import Database
from store.models import Order, OrderItem, User

QUEUE_KINDS = ("paid", "shipped", "pickup", "pending")


def _where(kind: str) -> ColumnElement[bool]:
    if kind == "paid":
        return and_(Order.status == orders.PAID, Order.delivery_method != "pickup")
    if kind == "shipped":
        return Order.status == orders.SHIPPED
    if kind == "pickup":
        return or_(
            Order.status == orders.CONFIRMED, and_(Order.status == orders.PAID, Order.delivery_method == "pickup")
        )
    if kind == "pending":
        return Order.status == orders.PENDING_PAYMENT
    raise ValueError(f"unknown queue {kind!r}")


@dataclass(frozen=True)
class Buyer:
    user_id: int
    first_name: str
    last_name: str | None
    username: str | None

    @property
    def name(self) -> str:
        full = " ".join(part for part in (self.first_name, self.last_name) if part).strip()
        return full or str(self.user_id)


@dataclass(frozen=True)
class QueueLine:
    id: int
    status: str
    total: int
    currency: str
    items_count: int
    pickup_code: str | None
    buyer: Buyer
    delivery_method: str = "delivery"  # a collected pickup order reads "Collected" (bot.views.orders.status_label)


def _buyer(user_id: int, user: User | None) -> Buyer:
    if user is None:
        return Buyer(user_id, "", None, None)
    return Buyer(user_id, user.first_name or "", user.last_name, user.username)


async def buyer(db: Database, user_id: int) -> Buyer:
    async with db.read() as session:
        return _buyer(user_id, await session.get(User, user_id))


async def buyers(db: Database, user_ids: Sequence[int]) -> list[Buyer]:
    """Several people by name, in the order given (an id the bot never met stays a bare id)."""
    async with db.read() as session:
        found = {u.id: u for u in (await session.execute(select(User).where(User.id.in_(user_ids)))).scalars()}
        return [_buyer(uid, found.get(uid)) for uid in user_ids]


async def queue(db: Database, kind: str, n: int = 20) -> list[QueueLine]:
    """The queue's orders, oldest first (the queue is worked in order)."""
    async with db.read() as session:
        rows = (
            await session.execute(
                select(Order, User)
                .outerjoin(User, User.id == Order.user_id)
                .where(_where(kind))
                .order_by(Order.id)
                .limit(n)
            )
        ).all()
        if not rows:
            return []
        counts = dict(
            (
                await session.execute(
                    select(OrderItem.order_id, func.sum(OrderItem.quantity))
                    .where(OrderItem.order_id.in_([order.id for order, _ in rows]))
                    .group_by(OrderItem.order_id)
                )
            ).all()
        )
        return [
            QueueLine(
                order.id,
                order.status,
                order.total,
                order.currency,
                int(counts.get(order.id, 0)),
                order.pickup_code if order.delivery_method == "pickup" else None,
                _buyer(order.user_id, user),
                order.delivery_method,
            )
            for order, user in rows
        ]


async def counts(db: Database) -> dict[str, int]:
    async with db.read() as session:
        found: dict[str, int] = {}
        for kind in QUEUE_KINDS:
            count = (await session.execute(select(func.count()).select_from(Order).where(_where(kind)))).scalar()
            found[kind] = int(count or 0)
        return found
