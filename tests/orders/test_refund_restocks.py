"""A refund puts a cart order's units back on the shelf only while the goods never left the shop (SQLite and
PostgreSQL): refunded from paid (not shipped, not collected) gives them back once; after shipping or a hand-over
the goods are with the buyer; digital goods went out with the payment and are never restocked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from store import checkout, orders, payments, stock_alerts
from store.db import Database
from store.errors import DomainError
from store.models import OutboxMessage
from store.models.ops import RestockWaiter
from tests.orders.helpers import CONTACT, POLICY, card_pickup, fill_cart, make_product, make_users, stock_of

ADMIN = 7


def _payment(placed: checkout.PlacedOrder, user_id: int, charge: str) -> payments.IncomingPayment:
    payload = payments.invoice_payload(placed.order_id)
    return payments.IncomingPayment(user_id, payload, placed.currency, placed.total, charge)


async def _paid_delivery_order(db: Database, user_id: int, product_id: int, quantity: int, charge: str) -> int:
    """A card order for delivery, paid and not shipped: the tester's Fuji apples."""
    await fill_cart(db, user_id, {product_id: quantity})
    quote = await checkout.preview(db, user_id, "delivery", POLICY)
    choice = checkout.CheckoutChoice(
        user_id=user_id,
        delivery_method="delivery",
        payment_method="card",
        contact=CONTACT,
        expected_total=quote.total,
    )
    placed = await checkout.place_order(db, choice, POLICY)
    assert (await payments.record_payment(db, _payment(placed, user_id, charge))).kind == "paid"
    return placed.order_id


async def test_refund_of_a_paid_order_restocks_exactly_once(any_db: Database) -> None:
    apples = await make_product(any_db, "FUJI", price=1000, stock=40)
    await make_users(any_db, [1, 2])
    order_id = await _paid_delivery_order(any_db, 1, apples, 4, "c-1")
    assert await stock_of(any_db, apples) == 36
    tasks = await payments.refund_order(any_db, order_id, ADMIN)
    assert len(tasks) == 1 and (await orders.get_order(any_db, order_id)).status == "refunded"
    assert await stock_of(any_db, apples) == 40
    # Refunded is terminal: a second refund is refused and gives nothing back again.
    with pytest.raises(DomainError) as refused:
        await payments.refund_order(any_db, order_id, ADMIN)
    assert refused.value.code == "illegal_transition"
    with pytest.raises(DomainError):
        async with any_db.tx() as session:
            await orders.transition(session, order_id, orders.REFUNDED, orders.admin_actor(ADMIN))
    assert await stock_of(any_db, apples) == 40
    await _paid_delivery_order(any_db, 2, apples, 1, "c-2")
    assert await stock_of(any_db, apples) == 39


async def test_refund_of_a_paid_pickup_order_not_yet_collected_restocks(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=5)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {tea: 2})
    placed = await checkout.place_order(any_db, card_pickup(1), POLICY)
    await payments.record_payment(any_db, _payment(placed, 1, "c-1"))
    assert await stock_of(any_db, tea) == 3
    # Telegram reports the refund (refunded_payment) while the order waits at the counter.
    assert (await payments.record_refund(any_db, "c-1")).kind == "refunded"
    assert (await orders.get_order(any_db, placed.order_id)).status == "refunded"
    assert await stock_of(any_db, tea) == 5
    assert (await payments.record_refund(any_db, "c-1")).kind == "already"
    assert await stock_of(any_db, tea) == 5


async def test_refund_after_shipping_or_hand_over_does_not_restock(any_db: Database) -> None:
    apples = await make_product(any_db, "FUJI", price=1000, stock=40)
    await make_users(any_db, [1, 2, 3])
    shipped = await _paid_delivery_order(any_db, 1, apples, 4, "c-1")
    await orders.admin_transition(any_db, shipped, orders.SHIPPED, ADMIN)
    await payments.refund_order(any_db, shipped, ADMIN)
    assert (await orders.get_order(any_db, shipped)).status == "refunded"
    assert await stock_of(any_db, apples) == 36
    delivered = await _paid_delivery_order(any_db, 2, apples, 2, "c-2")
    await orders.admin_transition(any_db, delivered, orders.SHIPPED, ADMIN)
    await orders.admin_transition(any_db, delivered, orders.DELIVERED, ADMIN)
    await payments.refund_order(any_db, delivered, ADMIN)
    assert await stock_of(any_db, apples) == 34
    # Pay on pickup: confirmed, then paid and handed over at the counter; a refund then is a return.
    await fill_cart(any_db, 3, {apples: 1})
    collected = await checkout.place_order(any_db, card_pickup(3, payment_method="pickup"), POLICY)
    await orders.admin_transition(any_db, collected.order_id, orders.DELIVERED, ADMIN)
    await payments.refund_order(any_db, collected.order_id, ADMIN)
    assert (await orders.get_order(any_db, collected.order_id)).status == "refunded"
    assert await stock_of(any_db, apples) == 33


async def test_refund_of_a_paid_digital_order_does_not_restock(any_db: Database) -> None:
    """Digital goods are handed over with the payment (store.delivery): a refund does not bring them back."""
    ebook = await make_product(any_db, "EBOOK", price=1999, stock=10, digital=True, stars=50)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {ebook: 2})
    choice = checkout.CheckoutChoice(user_id=1, delivery_method="digital", payment_method="stars")
    placed = await checkout.place_order(any_db, choice, POLICY)
    await payments.record_payment(any_db, _payment(placed, 1, "s-1"))
    assert (await orders.get_order(any_db, placed.order_id)).status == "paid"  # nothing to send by itself
    assert await stock_of(any_db, ebook) == 8
    await payments.refund_order(any_db, placed.order_id, ADMIN)
    assert (await orders.get_order(any_db, placed.order_id)).status == "refunded"
    assert await stock_of(any_db, ebook) == 8


async def test_cancel_still_restocks_and_a_refund_back_in_stock_reaches_waiters(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=4)
    await make_users(any_db, [1, 2, 3])
    await fill_cart(any_db, 1, {tea: 1})
    unpaid = await checkout.place_order(any_db, card_pickup(1), POLICY)
    await fill_cart(any_db, 2, {tea: 1})
    held = await checkout.place_order(any_db, card_pickup(2, payment_method="pickup"), POLICY)
    assert await stock_of(any_db, tea) == 2
    await orders.cancel_by_buyer(any_db, unpaid.order_id, 1)
    await orders.admin_transition(any_db, held.order_id, orders.CANCELLED, ADMIN)
    assert await stock_of(any_db, tea) == 4
    # Sold out, a shopper taps "Notify me"; the refund brings the units back like a cancel does, and the stock
    # check (the sweep, as for a cancel or an expiry) tells the waiting shopper once.
    order_id = await _paid_delivery_order(any_db, 1, tea, 4, "c-1")
    assert await stock_of(any_db, tea) == 0
    async with any_db.tx() as session:
        session.add(RestockWaiter(product_id=tea, user_id=3))
    await payments.refund_order(any_db, order_id, ADMIN)
    assert await stock_of(any_db, tea) == 4
    async with any_db.tx() as session:
        await stock_alerts.check(session, 1, [], [tea])
    async with any_db.read() as session:
        told = (
            await session.execute(
                select(OutboxMessage.user_id).where(OutboxMessage.template == stock_alerts.BACK_IN_STOCK_TEMPLATE)
            )
        ).all()
        waiting = (await session.execute(select(RestockWaiter))).all()
    assert [tuple(row) for row in told] == [(3,)] and waiting == []
