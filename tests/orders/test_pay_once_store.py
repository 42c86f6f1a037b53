"""One order, one charge (outside tester: three Pay taps on one invoice at once were all approved and charged, two
of them then flagged for a card refund by hand; a Pay during a cancel charged a cancelled order). A pre-checkout
claims its order for PAYMENT_LEASE: a second pre-checkout or a cancel meanwhile is refused before any charge.
On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from store import checkout, orders, payments
from store.db import Database
from store.errors import DomainError
from store.models import Order, OutboxMessage, utcnow
from tests.orders.helpers import POLICY, card_pickup, fill_cart, make_product, make_users


async def _placed(db: Database, sku: str = "TEA-1") -> checkout.PlacedOrder:
    tea = await make_product(db, sku, stock=5)
    if sku == "TEA-1":
        await make_users(db, [1])
    await fill_cart(db, 1, {tea: 1})
    return await checkout.place_order(db, card_pickup(1), POLICY)


async def _lease_ran_out(db: Database, order_id: int) -> None:
    async with db.tx() as session:
        until = utcnow() - timedelta(seconds=1)
        await session.execute(update(Order).where(Order.id == order_id).values(paying_until=until))


async def test_of_simultaneous_pre_checkouts_one_is_approved(any_db: Database) -> None:
    placed = await _placed(any_db)
    payload = payments.invoice_payload(placed.order_id)

    async def check(query_id: str) -> str:
        try:
            await payments.check_pre_checkout(any_db, 1, payload, "CNY", placed.total, query_id=query_id)
        except DomainError as exc:
            return exc.code
        return "ok"

    answers = await asyncio.gather(*(check(f"q{i}") for i in range(5)))
    assert sorted(answers) == ["ok"] + ["payment_in_progress"] * 4
    approved = f"q{answers.index('ok')}"
    # Telegram may ask the same query again: the same payment, still approved.
    assert await check(approved) == "ok"
    assert await check("another") == "payment_in_progress"
    # A declined card's payment never arrives: once the lease has run out, a new attempt is approved.
    await _lease_ran_out(any_db, placed.order_id)
    assert await check("retry") == "ok"


async def test_a_cancel_waits_for_the_payment_under_way(any_db: Database) -> None:
    placed = await _placed(any_db)
    payload = payments.invoice_payload(placed.order_id)
    await payments.check_pre_checkout(any_db, 1, payload, "CNY", placed.total, query_id="q1")
    with pytest.raises(DomainError) as err:
        await orders.cancel_by_buyer(any_db, placed.order_id, 1)
    assert err.value.code == "order_payment_under_way"
    assert (await orders.get_order(any_db, placed.order_id)).status == orders.PENDING_PAYMENT
    # ... and once it is cancelled, a pre-checkout is refused before the charge.
    await _lease_ran_out(any_db, placed.order_id)
    assert (await orders.cancel_by_buyer(any_db, placed.order_id, 1)).status == orders.CANCELLED
    with pytest.raises(DomainError) as err:
        await payments.check_pre_checkout(any_db, 1, payload, "CNY", placed.total, query_id="q2")
    assert err.value.code == "payment_order_not_payable"


async def test_a_payment_for_a_cancelled_order_says_it_was_cancelled(any_db: Database) -> None:
    placed = await _placed(any_db)
    await orders.cancel_by_buyer(any_db, placed.order_id, 1)
    incoming = payments.IncomingPayment(1, payments.invoice_payload(placed.order_id), "CNY", placed.total, "late-1")
    assert (await payments.record_payment(any_db, incoming)).kind == "refund"
    async with any_db.read() as session:
        templates = (await session.execute(select(OutboxMessage.template))).scalars().all()
    assert "payments.cancelled_refund_card" in templates
    assert "payments.late_refund_card" not in templates


async def test_an_admin_cancel_waits_for_the_payment_under_way_too(any_db: Database) -> None:
    """The lease holds against whoever cancels, not only the buyer: an admin's cancel during the charge would leave
    a payment to refund by hand."""
    placed = await _placed(any_db)
    payload = payments.invoice_payload(placed.order_id)
    await payments.check_pre_checkout(any_db, 1, payload, "CNY", placed.total, query_id="q1")
    with pytest.raises(DomainError) as err:
        await orders.admin_transition(any_db, placed.order_id, orders.CANCELLED, 99)
    assert err.value.code == "order_payment_under_way"
    incoming = payments.IncomingPayment(1, payload, "CNY", placed.total, "charge-1")
    assert (await payments.record_payment(any_db, incoming)).kind == "paid"
    assert (await orders.get_order(any_db, placed.order_id)).status == orders.PAID


async def test_a_claim_refused_names_what_holds_the_order(any_db: Database) -> None:
    """The pre-checkout reads the order before it claims it; when the order moved in between, the refusal says
    what happened (paid, or no longer payable), and only a live lease is "a payment is under way"."""
    placed = await _placed(any_db)

    async def claim(query_id: str, order_id: int = placed.order_id) -> str:
        try:
            async with any_db.tx() as session:
                await payments._claim_for_payment(session, order_id, query_id, utcnow())
        except DomainError as exc:
            return exc.code
        return "ok"

    assert await claim("q1") == "ok"
    assert await claim("q2") == "payment_in_progress"
    incoming = payments.IncomingPayment(1, payments.invoice_payload(placed.order_id), "CNY", placed.total, "c-1")
    assert (await payments.record_payment(any_db, incoming)).kind == "paid"
    assert await claim("q3") == "payment_order_already_paid"
    other = await _placed(any_db, sku="TEA-2")
    await orders.cancel_by_buyer(any_db, other.order_id, 1)
    assert await claim("q4", other.order_id) == "payment_order_not_payable"
