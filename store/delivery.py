"""Handing over what a paid order bought: digital goods in the chat, and the code for a pickup order.

Digital goods (a code, a link or a small file, from the product's `digital_kind`/`digital_content`) are queued in
the outbox by an order hook in the very transaction that makes the order paid. A payment confirmed twice makes
the order paid once (the payment inbox), and each line's message has a dedupe key on top, so the buyer gets
each good exactly once; a buyer who cannot be reached yet gets it when they come back (store.reachability).
For an all-digital order the first good carries the payment confirmation, so the buyer gets one message per
good rather than a "paid" notice followed by the goods, and once every good went out that way the order is
delivered: nothing is left to ship. "Send again" from /orders queues them anew.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import notify, order_hooks
from store.catalog import resolve_photo
from store.db import Database
from store.errors import DomainError, NotFound
from store.models import Order, OrderItem, Product, utcnow

GOODS_TEMPLATE = "orders.goods"
KINDS = ("code", "link", "file")
# Statuses in which the buyer owns what they paid for (store.orders.PAID_STATUSES; literal to avoid a cycle).
OWNED = frozenset({"paid", "shipped", "delivered"})
# "Send again" twice within this many seconds queues the goods once (a double tap is not two requests).
RESEND_SECONDS = 30
MAX_FILE_BYTES = 20 * 1024 * 1024  # well under the Bot API's 50 MB upload limit
CODE_MAX = 1000
PICKUP_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a counter
PICKUP_CODE_LENGTH = 6


def new_pickup_code() -> str:
    return "".join(secrets.choice(PICKUP_CODE_ALPHABET) for _ in range(PICKUP_CODE_LENGTH))


def resolve_file(content: str | None) -> Path | None:
    """The local file a `file` good hands over (relative paths as for product photos), if present and small."""
    if not content or content.startswith(("http://", "https://")):
        return None
    path = resolve_photo(content)
    if path is None or path.stat().st_size > MAX_FILE_BYTES:
        return None
    return path


@dataclass(frozen=True)
class Good:
    item_id: int
    title_en: str
    title_zh: str
    quantity: int
    kind: str | None
    content: str | None


async def goods_of(session: AsyncSession, order: Order) -> list[Good]:
    """The digital lines of an order with what each hands over (None when the catalog has nothing to send)."""
    rows = await session.execute(
        select(
            OrderItem.id,
            OrderItem.title_en,
            OrderItem.title_zh,
            OrderItem.quantity,
            Product.is_digital,
            Product.digital_kind,
            Product.digital_content,
        )
        .join(Product, Product.id == OrderItem.product_id)
        .where(OrderItem.order_id == order.id)
        .order_by(OrderItem.id)
    )
    everything_digital = order.delivery_method == "digital"
    return [
        Good(r.id, r.title_en, r.title_zh, r.quantity, r.digital_kind, r.digital_content)
        for r in rows
        if r.is_digital or everything_digital
    ]


async def enqueue_goods(
    session: AsyncSession,
    order: Order,
    *,
    confirm_payment: bool,
    again: str | None = None,
    notice: Mapping[str, Any] | None = None,
) -> int:
    """Queue one message per digital line; `again` names a resend (its own dedupe keys). Returns rows queued.
    `notice`: extra parameters of the payment's notice, carried by the first good when it confirms the payment."""
    queued = 0
    for index, good in enumerate(await goods_of(session, order)):
        key = f"order:{order.id}:goods:{good.item_id}" + (f":again:{again}" if again else "")
        params: dict[str, Any] = {
            "order_id": order.id,
            "title_en": good.title_en,
            "title_zh": good.title_zh,
            "quantity": good.quantity,
            "kind": good.kind if good.content else None,
            "content": good.content,
            "confirm_payment": confirm_payment and index == 0,
            "again": again is not None,
        }
        if confirm_payment and index == 0:
            params.update(notice or {})
        row = await notify.enqueue(
            session, order.user_id, GOODS_TEMPLATE, user_id=order.user_id, dedupe_key=key, **params
        )
        queued += row is not None
    return queued


def confirms_payment_itself(order: Order) -> bool:
    """An all-digital order's paid notice is its first good (store.orders skips the plain "paid" message)."""
    return order.delivery_method == "digital"


async def deliver_when_paid(session: AsyncSession, change: order_hooks.Transition) -> None:
    await enqueue_goods(
        session, change.order, confirm_payment=confirms_payment_itself(change.order), notice=change.notice
    )


def sends_itself(good: Good) -> bool:
    """The chat hands this good over by itself (otherwise its message says the team will send it)."""
    if not good.content or good.kind not in KINDS:
        return False
    return good.kind != "file" or resolve_file(good.content) is not None


async def complete_when_handed_over(session: AsyncSession, change: order_hooks.Transition) -> None:
    """An all-digital order whose goods all went out with its payment has nothing left to do: it is delivered in
    the same transaction, so it never waits in the admin's "to ship" queue. Its goods message was the buyer's
    notice. A good the catalog has nothing to send for keeps the order paid: the team still owes it."""
    order = change.order
    if not confirms_payment_itself(order):
        return
    goods = await goods_of(session, order)
    if not goods or not all(sends_itself(good) for good in goods):
        return
    from store import orders  # store.orders calls this module's hooks

    await orders.transition(
        session, order.id, orders.DELIVERED, change.actor, from_statuses=[orders.PAID], notify_buyer=False
    )


async def deliver_when_paid_at_pickup(session: AsyncSession, change: order_hooks.Transition) -> None:
    """Pay on pickup: the money is taken at the hand-over, so any digital line is delivered then."""
    if change.from_status == "confirmed":
        await enqueue_goods(session, change.order, confirm_payment=False)


async def resend(db: Database, order_id: int, user_id: int) -> int:
    """The buyer's "Send again": queue the goods of their paid order anew. Returns how many messages were queued;
    0 when they were sent again less than RESEND_SECONDS ago (a double tap: they are already on their way)."""
    now = utcnow()
    async with db.tx() as session:
        order = await session.get(Order, order_id)
        if order is None or order.user_id != user_id:
            raise NotFound("order_not_found", order_id=order_id)
        if order.status not in OWNED or not await goods_of(session, order):
            raise DomainError("order_no_goods", order_id=order_id)
        claimed = await session.execute(
            update(Order)
            .where(
                Order.id == order_id,
                or_(Order.goods_resent_at.is_(None), Order.goods_resent_at <= now - timedelta(seconds=RESEND_SECONDS)),
            )
            .values(goods_resent_at=now)
            .execution_options(synchronize_session=False)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            return 0
        return await enqueue_goods(session, order, confirm_payment=False, again=now.isoformat())
