"""Payments: the pre-checkout re-check, recording a successful payment exactly once, and refunds.

Money is never lost silently: a payment that cannot be applied to its order (expired, cancelled, already paid,
amount changed) is still recorded, with status `refund_pending`; Star payments are then refunded by the bot
(`refundStarPayment`) and marked refunded, card payments wait for an admin to refund them with the provider.
A payment for digital codes that ran out meanwhile (store.delivery: one code per unit) is refunded the same way,
and its order cancelled.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store import audit, delivery, notify, orders, scheduling
from store.db import Database, rowcount
from store.errors import DomainError, NotFound
from store.models import Order, Payment, Role, utcnow
from store.money import STARS, Money

log = logging.getLogger(__name__)

PAYLOAD_PREFIX = "order"
PAID = "paid"
REFUND_PENDING = "refund_pending"
REFUNDED = "refunded"
# A payment that passed pre-checkout keeps its reservation at least this long (the buyer is paying).
PAYMENT_GRACE = timedelta(minutes=3)
# How long one approved pre-checkout holds its order against a second payment and a cancel. Telegram charges
# right after the approval; a declined card's retry is refused until then ("try again in a few seconds"), a
# double tap or a second device is refused instead of charged twice. Short, because a shopper who was told
# "declined" retries with another card within seconds (an outside tester read 15 s as a stuck payment).
PAYMENT_LEASE = timedelta(seconds=8)


def invoice_payload(order_id: int) -> str:
    """`order:<id>:<nonce>` (well under Telegram's 128 bytes); the nonce makes every invoice distinct."""
    return f"{PAYLOAD_PREFIX}:{order_id}:{secrets.token_hex(4)}"


def parse_payload(payload: str) -> int | None:
    parts = payload.split(":")
    if len(parts) != 3 or parts[0] != PAYLOAD_PREFIX or not parts[1].isdigit():
        return None
    return int(parts[1])


def method_for_currency(currency: str) -> str:
    return "stars" if currency == STARS else "card"


# ---------------------------------------------------------------- pre-checkout


async def check_pre_checkout(
    db: Database, payer_id: int, payload: str, currency: str, total_amount: int, *, query_id: str
) -> int:
    """Refuse (DomainError) unless the order is still payable by this user for exactly this amount and no other
    payment of it is under way (`query_id`: the pre-checkout query's id; the same id again is a re-check).

    Returns the order id. A short write claims the order for this payment for PAYMENT_LEASE and keeps the
    reservation alive while Telegram charges the buyer.
    """
    order_id = parse_payload(payload)
    if order_id is None:
        raise DomainError("payment_order_unknown")
    now = utcnow()
    async with db.read() as session:  # readers never wait for the SQLite writer: answered well within 10 s
        order = await session.get(Order, order_id)
        if order is None or order.user_id != payer_id:
            raise DomainError("payment_order_unknown")
        if order.status == orders.EXPIRED or (
            order.status == orders.PENDING_PAYMENT and order.expires_at is not None and order.expires_at <= now
        ):
            # A cart's goods can be checked out again; a flash or group-buy order's unit went back to its sale.
            code = "payment_order_expired" if order.source == "cart" else "payment_order_expired_no_retry"
            raise DomainError(code, order_id=order_id)
        if order.status in orders.PAID_STATUSES:  # an old invoice's Pay: done, not "cannot be paid"
            raise DomainError("payment_order_already_paid", order_id=order_id)
        if order.status != orders.PENDING_PAYMENT:
            raise DomainError("payment_order_not_payable", order_id=order_id)
        if order.currency != currency or order.total != total_amount:
            raise DomainError("payment_amount_changed", order_id=order_id)
        if await delivery.codes_left(session, order):
            raise DomainError("payment_codes_sold_out", order_id=order_id)
        expires_at = order.expires_at
    async with db.tx() as session:
        await _claim_for_payment(session, order_id, query_id, now)
        if expires_at is not None and expires_at < now + PAYMENT_GRACE:
            # About to expire while Telegram charges the buyer: hold it a little longer.
            await orders.extend_hold(session, order_id, now + PAYMENT_GRACE)
    return order_id


async def _claim_for_payment(session: AsyncSession, order_id: int, query_id: str, now: datetime) -> None:
    """One payment of an order at a time: a conditional update, so of two pre-checkouts at once (three Pay taps
    in parallel charged one order three times) one is approved and the other refused before anything is charged;
    a cancel meanwhile is refused too (orders.cancel_by_buyer)."""
    claimed = await session.execute(
        update(Order)
        .where(
            Order.id == order_id,
            Order.status == orders.PENDING_PAYMENT,
            or_(Order.paying_until.is_(None), Order.paying_until <= now, Order.paying_query == query_id),
        )
        .values(paying_query=query_id, paying_until=now + PAYMENT_LEASE)
    )
    if rowcount(claimed):
        return
    # The caller's read saw it payable: either another payment holds the lease, or the order moved since.
    status = await session.scalar(select(Order.status).where(Order.id == order_id))
    if status == orders.PENDING_PAYMENT:
        raise DomainError("payment_in_progress", order_id=order_id)
    code = "payment_order_already_paid" if status in orders.PAID_STATUSES else "payment_order_not_payable"
    raise DomainError(code, order_id=order_id)


async def hold_for_payment(db: Database, order_id: int) -> None:
    """A payment for this order is on its way (Telegram charged the buyer, the record is pending): its expiry
    event, already fired, comes back PAYMENT_GRACE from now, so the reservation holds but is not forgotten."""
    async with db.tx() as session:
        order = await session.get(Order, order_id, with_for_update=True)
        if order is None or order.status != orders.PENDING_PAYMENT:
            return
        until = max(order.expires_at or utcnow(), utcnow() + PAYMENT_GRACE)
        order.expires_at = until
        await scheduling.schedule(session, "order_expiry", order.id, until, key=orders.expiry_key(order.id))


# ---------------------------------------------------------------- successful payment


@dataclass(frozen=True)
class PaymentOutcome:
    kind: str  # paid | duplicate | refund (recorded, to be refunded) | orphan (no such order)
    order_id: int | None
    payment_id: int | None
    currency: str
    amount: int
    charge_id: str
    status: str | None = None  # the payment row's status (for a duplicate: what the first delivery left)

    @property
    def needs_star_refund(self) -> bool:
        return self.kind in ("refund", "orphan") and self.currency == STARS


@dataclass(frozen=True)
class IncomingPayment:
    payer_id: int
    payload: str
    currency: str
    total_amount: int
    telegram_charge_id: str
    provider_charge_id: str | None = None
    # Filled when the invoice asked Telegram's payment form for the delivery details (orders without an address).
    contact: orders.Contact | None = None


async def _existing(session: AsyncSession, charge_id: str) -> Payment | None:
    return (await session.execute(select(Payment).where(Payment.telegram_charge_id == charge_id))).scalar_one_or_none()


async def record_payment(
    db: Database,
    incoming: IncomingPayment,
    *,
    admin_ids: Iterable[int] = (),
    notice: Mapping[str, Any] | None = None,
) -> PaymentOutcome:
    """Apply a successful_payment exactly once (keyed by telegram_payment_charge_id).

    `admin_ids` (the configured admins; granted admins are added) hear about money that needs a person: a card
    payment that arrived for an order it can no longer pay, or a payment that matches no order. `notice` adds
    parameters to the buyer's "paid" notice (suggestions the bot drew for the order).
    """
    try:
        async with db.tx() as session:
            return await _record(session, incoming, tuple(admin_ids), notice)
    except IntegrityError:
        # PostgreSQL: a concurrent delivery of the same charge inserted first; ours rolled back entirely.
        async with db.read() as session:
            existing = await _existing(session, incoming.telegram_charge_id)
        if existing is None:
            raise
        return _duplicate(existing, incoming)


def _duplicate(existing: Payment, incoming: IncomingPayment) -> PaymentOutcome:
    return PaymentOutcome(
        "duplicate",
        existing.order_id,
        existing.id,
        existing.currency,
        existing.amount,
        incoming.telegram_charge_id,
        existing.status,
    )


async def admins_of(session: AsyncSession, configured: Iterable[int]) -> list[int]:
    """Configured admins plus those granted the role in the shop."""
    ids = set(configured)
    ids.update(int(u) for u in (await session.execute(select(Role.user_id).where(Role.role == "admin"))).scalars())
    return sorted(ids)


async def tell_admins(session: AsyncSession, admin_ids: Iterable[int], template: str, **params: object) -> None:
    for admin_id in await admins_of(session, admin_ids):
        await notify.notify_user(session, admin_id, template, **params)


async def _record(
    session: AsyncSession,
    incoming: IncomingPayment,
    admin_ids: tuple[int, ...] = (),
    notice: Mapping[str, Any] | None = None,
) -> PaymentOutcome:
    existing = await _existing(session, incoming.telegram_charge_id)
    if existing is not None:
        return _duplicate(existing, incoming)
    order_id = parse_payload(incoming.payload)
    order = await session.get(Order, order_id, with_for_update=True) if order_id is not None else None
    if order is None:
        log.error("payment %s for unknown payload %r", incoming.telegram_charge_id, incoming.payload)
        if incoming.currency != STARS:  # Stars go back through Telegram at once; a card needs a person
            await tell_admins(
                session,
                admin_ids,
                "payment_inbox.admin_orphan",
                buyer_id=incoming.payer_id,
                amount=Money(incoming.total_amount, incoming.currency).format(),
                charge=incoming.telegram_charge_id,
                provider_charge=incoming.provider_charge_id or "-",
            )
        return PaymentOutcome(
            "orphan", None, None, incoming.currency, incoming.total_amount, incoming.telegram_charge_id
        )
    applicable = (
        order.status == orders.PENDING_PAYMENT
        and order.user_id == incoming.payer_id
        and order.currency == incoming.currency
        and order.total == incoming.total_amount
    )
    # Each unit of a code product takes its own code now, in this transaction: too few left is a sold-out.
    shortages = await delivery.claim_codes(session, order) if applicable else []
    sold_out = bool(shortages)
    applicable = applicable and not sold_out
    payment = Payment(
        order_id=order.id,
        method=method_for_currency(incoming.currency),
        amount=incoming.total_amount,
        currency=incoming.currency,
        telegram_charge_id=incoming.telegram_charge_id,
        provider_charge_id=incoming.provider_charge_id,
        status=PAID if applicable else REFUND_PENDING,
        details={"payer_id": incoming.payer_id, "order_status": order.status},
    )
    session.add(payment)
    await session.flush()  # the UNIQUE charge id is checked here (IntegrityError on a race)
    if applicable:
        if incoming.contact is not None and order.delivery_method == "delivery" and not order.address:
            order.contact_name = incoming.contact.name or order.contact_name
            order.phone = incoming.contact.phone or order.phone
            order.address = incoming.contact.address
        await orders.transition(
            session, order.id, orders.PAID, orders.PAYMENT_ACTOR, from_statuses=[orders.PENDING_PAYMENT], notice=notice
        )
        kind = "paid"
    elif sold_out:
        log.warning("payment %s: codes of order %s ran out (%s): refund", payment.id, order.id, shortages)
        payment.details = {**(payment.details or {}), "refund": "codes_sold_out"}
        await orders.transition(
            session,
            order.id,
            orders.CANCELLED,
            "payment",
            from_statuses=[orders.PENDING_PAYMENT],
            notify_buyer=False,
        )
        await delivery.stock_to_codes_left(session, shortages)
        stars = incoming.currency == STARS
        template = "payments.sold_out_refund_stars" if stars else "payments.sold_out_refund_card"
        await notify.notify_user(session, incoming.payer_id, template, order_id=order.id)
        if not stars:
            await tell_admins(session, admin_ids, "payment_inbox.admin_refund_card", **_refund_params(payment, order))
        kind = "refund"
    else:
        log.warning("payment %s cannot apply to order %s (%s): refund", payment.id, order.id, order.status)
        reason = "cancelled_refund" if order.status == orders.CANCELLED else "late_refund"
        template = f"payments.{reason}_{'stars' if incoming.currency == STARS else 'card'}"
        await notify.notify_user(session, incoming.payer_id, template, order_id=order.id)
        if incoming.currency != STARS:
            await tell_admins(session, admin_ids, "payment_inbox.admin_refund_card", **_refund_params(payment, order))
        kind = "refund"
    return PaymentOutcome(
        kind,
        order.id,
        payment.id,
        incoming.currency,
        incoming.total_amount,
        incoming.telegram_charge_id,
        payment.status,
    )


def _refund_params(payment: Payment, order: Order) -> dict[str, object]:
    return {
        "payment_id": payment.id,
        "order_id": order.id,
        "buyer_id": order.user_id,
        "order_status": order.status,
        "amount": Money(payment.amount, payment.currency).format(),
        "charge": payment.telegram_charge_id or "-",
    }


async def refund_failed(db: Database, payment_id: int, admin_ids: Iterable[int]) -> None:
    """The bot could not give Stars back by itself: the payment stays in the admins' refund queue; tell them."""
    async with db.tx() as session:
        payment = await session.get(Payment, payment_id)
        order = await session.get(Order, payment.order_id) if payment is not None else None
        if payment is None or order is None or payment.status != REFUND_PENDING:
            return
        params = _refund_params(payment, order)
        await tell_admins(session, admin_ids, "payment_inbox.admin_refund_stars_failed", **params)


@dataclass(frozen=True)
class RefundOutcome:
    kind: str  # refunded (recorded now) | already (nothing to do) | unknown (no such charge)
    order_id: int | None = None


async def record_refund(db: Database, charge_id: str, actor: str = "telegram") -> RefundOutcome:
    """Telegram reports a refund (`refunded_payment`): ours through refundStarPayment, or one done outside the
    shop. The payment becomes refunded once; a still paid order moves to refunded with the buyer told."""
    async with db.tx() as session:
        payment = (
            await session.execute(select(Payment).where(Payment.telegram_charge_id == charge_id).with_for_update())
        ).scalar_one_or_none()
        if payment is None:
            log.warning("refund reported for unknown charge %s", charge_id)
            return RefundOutcome("unknown")
        if payment.status == REFUNDED:
            return RefundOutcome("already", payment.order_id)
        was_paid = payment.status == PAID
        payment.status = REFUNDED
        payment.refunded_at = utcnow()
        payment.details = {**(payment.details or {}), "refund": "refunded_payment"}
        if was_paid:
            order = await session.get(Order, payment.order_id)
            if order is not None and orders.can_transition(order.status, orders.REFUNDED):
                await orders.transition(session, order.id, orders.REFUNDED, actor)
            else:
                log.warning("charge %s refunded outside the shop; order %s left as is", charge_id, payment.order_id)
        return RefundOutcome("refunded", payment.order_id)


# What marking a refund found: recorded now, recorded before (a double tap, another admin a moment earlier), or
# a payment not waiting for a refund at all.
RefundMark = Literal["marked", "already", "not_pending"]


async def mark_refunded(
    db: Database, payment_id: int, details: str | None = None, *, admin_id: int | None = None
) -> RefundMark:
    """A refund went through (Stars refunded by the bot, or a card refund done by an admin: `admin_id`, who is
    named in the audit log, as the step where the money moved)."""
    async with db.tx() as session:
        payment = await session.get(Payment, payment_id, with_for_update=True)
        if payment is None or payment.status != REFUND_PENDING:
            return "already" if payment is not None and payment.status == REFUNDED else "not_pending"
        payment.status = REFUNDED
        payment.refunded_at = utcnow()
        if details:
            payment.details = {**(payment.details or {}), "refund": details}
        await audit.record(
            session,
            actor_id=admin_id,
            actor_role="admin" if admin_id is not None else audit.SYSTEM,
            action="payment.refunded",
            target=f"payment:{payment_id}",
            before={"status": REFUND_PENDING},
            after={
                "status": REFUNDED,
                "order": payment.order_id,
                "amount": payment.amount,
                "currency": payment.currency,
            },
        )
        return "marked"


async def refund_status(db: Database, payment_id: int) -> str | None:
    async with db.read() as session:
        return await session.scalar(select(Payment.status).where(Payment.id == payment_id))


# ---------------------------------------------------------------- admin refunds


@dataclass(frozen=True)
class RefundTask:
    payment_id: int
    order_id: int
    user_id: int
    method: str
    currency: str
    amount: int
    charge_id: str | None
    created_at: datetime


async def refund_order(db: Database, order_id: int, admin_id: int) -> list[RefundTask]:
    """Move a paid order to refunded; its payments become refund_pending (the caller refunds Stars)."""
    async with db.tx() as session:
        change = await orders.transition(session, order_id, orders.REFUNDED, orders.admin_actor(admin_id))
        rows = (
            (await session.execute(select(Payment).where(Payment.order_id == order_id, Payment.status == PAID)))
            .scalars()
            .all()
        )
        for payment in rows:
            payment.status = REFUND_PENDING
        return [_task(p, change.order.user_id) for p in rows]


def _task(payment: Payment, user_id: int) -> RefundTask:
    return RefundTask(
        payment.id,
        payment.order_id,
        user_id,
        payment.method,
        payment.currency,
        payment.amount,
        payment.telegram_charge_id,
        payment.created_at,
    )


async def pending_refunds(db: Database, n: int = 20) -> list[RefundTask]:
    async with db.read() as session:
        rows = (
            await session.execute(
                select(Payment, Order.user_id)
                .join(Order, Order.id == Payment.order_id)
                .where(Payment.status == REFUND_PENDING)
                .order_by(Payment.id)
                .limit(n)
            )
        ).all()
        return [_task(p, uid) for p, uid in rows]


async def refund_task(db: Database, payment_id: int) -> RefundTask:
    async with db.read() as session:
        row = (
            await session.execute(
                select(Payment, Order.user_id).join(Order, Order.id == Payment.order_id).where(Payment.id == payment_id)
            )
        ).first()
    if row is None or row[0].status != REFUND_PENDING:
        raise NotFound("payment_not_found")
    return _task(row[0], row[1])
