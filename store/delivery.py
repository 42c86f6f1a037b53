"""Handing over what a paid order bought: digital goods in the chat, and the code for a pickup order.

Digital goods (a code, a link or a small file, from the product's `digital_kind`/`digital_content`) are queued in
the outbox by an order hook in the very transaction that makes the order paid. A payment confirmed twice makes
the order paid once (the payment inbox), and each line's message has a dedupe key on top, so the buyer gets
each good exactly once; a buyer who cannot be reached yet gets it when they come back (store.reachability).
For an all-digital order the first good carries the payment confirmation, so the buyer gets one message per
good rather than a "paid" notice followed by the goods, and once every good went out that way the order is
delivered: nothing is left to ship. "Send again" from /orders queues them anew.

A `code` product's `digital_content` lists its codes, one a line: every unit sold takes its own code (a row in
digital_codes, unique per product and code, so two buyers paying at the same moment never share one). The codes
are taken in the payment's transaction (store.payments); when too few are left, the payment is refunded and the
order cancelled like any other sold-out case, and the buyer is never handed a code someone else holds.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import String, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from store import notify, order_hooks
from store.catalog import resolve_photo
from store.db import Database, rowcount
from store.errors import DomainError, NotFound
from store.models import Order, OrderItem, Product, utcnow
from store.models.orders import DigitalCode

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


def codes_in(content: str | None) -> list[str]:
    """The codes a `code` product lists, one a line, in catalog order (blank lines and repeats dropped)."""
    return list(dict.fromkeys(line.strip() for line in (content or "").splitlines() if line.strip()))


@dataclass(frozen=True)
class Good:
    item_id: int
    title_en: str
    title_zh: str
    quantity: int
    kind: str | None
    content: str | None
    product_id: int = 0
    codes: tuple[str, ...] = ()  # a `code` line: the codes its units took, one per unit

    @property
    def handed_over(self) -> str | None:
        """What the buyer receives: the line's own codes for a `code` good (never the catalog's list of codes,
        which holds other buyers' codes), else the catalog's link or file."""
        if self.kind == "code":
            return "\n".join(self.codes) if len(self.codes) == self.quantity else None
        return self.content


async def goods_of(session: AsyncSession, order: Order) -> list[Good]:
    """The digital lines of an order with what each hands over (None when the catalog has nothing to send)."""
    rows = await session.execute(
        select(
            OrderItem.id,
            OrderItem.title_en,
            OrderItem.title_zh,
            OrderItem.quantity,
            OrderItem.product_id,
            Product.is_digital,
            Product.digital_kind,
            Product.digital_content,
        )
        .join(Product, Product.id == OrderItem.product_id)
        .where(OrderItem.order_id == order.id)
        .order_by(OrderItem.id)
    )
    everything_digital = order.delivery_method == "digital"
    lines = [r for r in rows if r.is_digital or everything_digital]
    codes: dict[int, list[str]] = {}
    code_items = [r.id for r in lines if r.digital_kind == "code"]
    if code_items:
        taken = await session.execute(
            select(DigitalCode.order_item_id, DigitalCode.code)
            .where(DigitalCode.order_item_id.in_(code_items))
            .order_by(DigitalCode.id)
        )
        for item_id, code in taken:
            codes.setdefault(int(item_id), []).append(str(code))
    return [
        Good(
            r.id,
            r.title_en,
            r.title_zh,
            r.quantity,
            r.digital_kind,
            r.digital_content,
            int(r.product_id),
            tuple(codes.get(r.id, ())),
        )
        for r in lines
    ]


@dataclass(frozen=True)
class Shortage:
    """A `code` line that could not get a code for every unit."""

    product_id: int
    title_en: str
    title_zh: str
    wanted: int
    left: int  # codes still free for that product


def _insert_codes(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    module: Any = sqlite if dialect == "sqlite" else postgresql
    return module.insert(DigitalCode)


def _listed(session: AsyncSession, codes: list[str]) -> Any:
    """The codes as a table (value, key) in the given order, bound as one parameter however many there are."""
    if session.get_bind().dialect.name == "sqlite":
        return func.json_each(json.dumps(codes)).table_valued("value", "key").alias("listed")
    array = bindparam("codes", codes, type_=postgresql.ARRAY(String), unique=True)
    return func.unnest(array).table_valued("value", with_ordinality="key").render_derived(name="listed")


async def _free_codes(session: AsyncSession, good: Good) -> list[str]:
    """The product's codes that no order holds yet, in catalog order: one query, each code looked up in the
    (product, code) unique index rather than every taken code of the product read back."""
    codes = codes_in(good.content)
    if not codes:
        return []
    listed = _listed(session, codes)
    taken = select(DigitalCode.id).where(DigitalCode.product_id == good.product_id, DigitalCode.code == listed.c.value)
    query = select(listed.c.value).where(~taken.exists()).order_by(listed.c.key)
    return [str(code) for code in (await session.execute(query)).scalars()]


async def _wanting_codes(session: AsyncSession, order: Order) -> list[tuple[Good, int]]:
    """The order's `code` lines that still lack codes, each with how many it lacks."""
    wanting = []
    for good in await goods_of(session, order):
        need = good.quantity - len(good.codes) if good.kind == "code" else 0
        if need > 0:
            wanting.append((good, need))
    return wanting


async def claim_codes(session: AsyncSession, order: Order) -> list[Shortage]:
    """Give every unit of the order's `code` lines its own code, in the caller's transaction; idempotent (a line
    that holds its codes is left alone). All or nothing: when a line cannot get enough codes, nothing is taken
    and the shortages are returned.

    Each code is taken with `INSERT ... ON CONFLICT DO NOTHING` on (product, code): a buyer paying at the same
    moment who took the same code first makes the insert take nothing (PostgreSQL waits for their transaction),
    and the next free codes are tried instead. The read of free codes only proposes; the insert decides."""
    claimed: list[int] = []
    short: list[Good] = []
    for good, need in await _wanting_codes(session, order):
        free = await _free_codes(session, good)
        while need > 0 and free:
            batch, free = free[:need], free[need:]
            now = utcnow()
            stmt = (
                _insert_codes(session)
                .values(
                    [
                        {"product_id": good.product_id, "code": code, "order_item_id": good.item_id, "claimed_at": now}
                        for code in batch
                    ]
                )
                .on_conflict_do_nothing(index_elements=["product_id", "code"])
                .returning(DigitalCode.id)
            )
            got = [int(i) for i in (await session.execute(stmt)).scalars()]
            claimed.extend(got)
            need -= len(got)
        if need > 0:
            short.append(good)
    if short and claimed:
        await session.execute(delete(DigitalCode).where(DigitalCode.id.in_(claimed)))
    return [
        Shortage(good.product_id, good.title_en, good.title_zh, good.quantity, len(await _free_codes(session, good)))
        for good in short
    ]


async def codes_left(session: AsyncSession, order: Order) -> list[Shortage]:
    """A read-only look: the order's `code` lines that the free codes could not cover right now (the pre-checkout
    re-check, so a buyer is not charged for codes that are gone)."""
    shortages: list[Shortage] = []
    for good, need in await _wanting_codes(session, order):
        left = len(await _free_codes(session, good))
        if left < need:
            shortages.append(Shortage(good.product_id, good.title_en, good.title_zh, good.quantity, left))
    return shortages


async def stock_to_codes_left(session: AsyncSession, shortages: list[Shortage]) -> None:
    """After a shortage, a product shows no more units than it has codes left (a conditional update: the stock
    only ever goes down here), so the next shopper meets "sold out" at the card instead of a refund."""
    for short in shortages:
        await session.execute(
            update(Product)
            .where(Product.id == short.product_id, Product.stock > short.left)
            .values(stock=short.left)
            .execution_options(synchronize_session=False)
        )


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
            "kind": good.kind if good.handed_over else None,
            "content": good.handed_over,
            "codes": list(good.codes),
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
    # A payment took the codes already (store.payments); an order paid another way takes them here. A shortage
    # then leaves the line "to be sent by the team" and the order paid, in the admins' queue.
    await claim_codes(session, change.order)
    await enqueue_goods(
        session, change.order, confirm_payment=confirms_payment_itself(change.order), notice=change.notice
    )


def sends_itself(good: Good) -> bool:
    """The chat hands this good over by itself (otherwise its message says the team will send it)."""
    if not good.handed_over or good.kind not in KINDS:
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
        await claim_codes(session, change.order)
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
        if not rowcount(claimed):
            return 0
        return await enqueue_goods(session, order, confirm_payment=False, again=now.isoformat())
