"""Placing orders from carts, reservation, payments and expiry at the store level (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from bot.app import standard_wiring
from bot.config import Settings
from bot.context import AppContext
from bot.scheduler import Scheduler
from store import checkout, orders, payments
from store.db import Database
from store.delivery_fee import DeliveryRule
from store.errors import DomainError
from store.models import CartItem, Order, OrderEvent, OutboxMessage, Payment, ScheduledJob, User
from tests.orders.helpers import CONTACT, POLICY, card_pickup, fill_cart, make_product, make_users, stock_of
from tests.stubs import stub_bot


def _ctx(settings: Settings, db: Database) -> AppContext:
    bot, _ = stub_bot()
    return AppContext(settings=settings, db=db, bot=bot, wiring=standard_wiring())


async def _expiry_job(db: Database, order_id: int) -> ScheduledJob:
    async with db.read() as session:
        job = (
            await session.execute(select(ScheduledJob).where(ScheduledJob.key == orders.expiry_key(order_id)))
        ).scalar_one()
        return job


def _payment(order: orders.OrderDetail | checkout.PlacedOrder, user_id: int, charge: str) -> payments.IncomingPayment:
    order_id = order.id if isinstance(order, orders.OrderDetail) else order.order_id
    return payments.IncomingPayment(user_id, payments.invoice_payload(order_id), order.currency, order.total, charge)


async def test_place_order_reserves_snapshots_and_clears_cart(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", price=2500, stock=5)
    cup = await make_product(any_db, "CUP-1", price=1200, stock=3)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {tea: 2, cup: 1})
    choice = checkout.CheckoutChoice(
        user_id=1,
        delivery_method="delivery",
        payment_method="card",
        contact=CONTACT,
        expected_total=2 * 2500 + 1200 + 800,
    )
    placed = await checkout.place_order(any_db, choice, POLICY)
    assert placed.status == "pending_payment"
    assert placed.total == 2 * 2500 + 1200 + 800 and placed.currency == "CNY"
    assert await stock_of(any_db, tea) == 3 and await stock_of(any_db, cup) == 2
    detail = await orders.get_order(any_db, placed.order_id, user_id=1)
    assert [(i.sku, i.quantity, i.unit_price) for i in detail.items] == [("TEA-1", 2, 2500), ("CUP-1", 1, 1200)]
    assert detail.items[0].title_zh == "商品 TEA-1"
    assert detail.delivery_fee == 800 and detail.address == CONTACT.address
    assert [e.to_status for e in detail.events] == ["pending_payment"]
    assert await checkout.cart_is_empty(any_db, 1)
    job = await _expiry_job(any_db, placed.order_id)
    assert job.status == "pending" and placed.expires_at is not None
    assert abs((job.run_at - placed.expires_at).total_seconds()) < 1
    assert await checkout.saved_contact(any_db, 1) == CONTACT


async def test_free_delivery_over_threshold_and_pickup_has_no_fee(any_db: Database) -> None:
    big = await make_product(any_db, "BIG", price=10000, stock=5)
    await make_users(any_db, [1, 2])
    await fill_cart(any_db, 1, {big: 1})
    await fill_cart(any_db, 2, {big: 1})
    quote = await checkout.preview(any_db, 1, "delivery", POLICY)
    assert quote.delivery_fee == 0 and quote.total == 10000
    small = replace(POLICY, delivery=DeliveryRule(free_over=0))
    assert (await checkout.preview(any_db, 2, "delivery", small)).delivery_fee == 800
    assert (await checkout.preview(any_db, 2, "pickup", small)).delivery_fee == 0


async def test_all_or_nothing_reservation_names_the_product(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=5)
    rare = await make_product(any_db, "RARE", stock=1)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {tea: 2, rare: 2})
    with pytest.raises(DomainError) as err:
        await checkout.place_order(any_db, card_pickup(1, lang="zh"), POLICY)
    assert err.value.code == "checkout_out_of_stock"
    assert err.value.params["product"] == "商品 RARE" and err.value.params["left"] == 1
    # Nothing half-written: stock, cart and orders unchanged.
    assert await stock_of(any_db, tea) == 5 and await stock_of(any_db, rare) == 1
    assert not await checkout.cart_is_empty(any_db, 1)
    async with any_db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Order))).scalar_one() == 0


async def test_refusals(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=5)
    hidden = await make_product(any_db, "GONE", stock=5, active=False)
    await make_users(any_db, [1, 2, 3])
    with pytest.raises(DomainError) as err:
        await checkout.place_order(any_db, card_pickup(1), POLICY)
    assert err.value.code == "checkout_cart_empty"
    await fill_cart(any_db, 2, {hidden: 1})
    with pytest.raises(DomainError) as err:
        await checkout.place_order(any_db, card_pickup(2), POLICY)
    assert err.value.code == "checkout_product_unavailable" and err.value.params["product"] == "Product GONE"
    await fill_cart(any_db, 3, {tea: 1})
    bad_point = checkout.CheckoutChoice(user_id=3, delivery_method="pickup", pickup_point="nowhere")
    with pytest.raises(DomainError) as err:
        await checkout.place_order(any_db, bad_point, POLICY)
    assert err.value.code == "checkout_bad_pickup_point"
    no_address = checkout.CheckoutChoice(user_id=3, delivery_method="delivery")
    with pytest.raises(DomainError) as err:
        await checkout.place_order(any_db, no_address, POLICY)
    assert err.value.code == "checkout_contact_missing"
    stars = card_pickup(3, payment_method="stars")
    with pytest.raises(DomainError) as err:
        await checkout.place_order(any_db, stars, POLICY)
    assert err.value.code == "checkout_payment_unavailable"
    pickup_pay_with_delivery = checkout.CheckoutChoice(
        user_id=3, delivery_method="delivery", payment_method="pickup", contact=CONTACT
    )
    with pytest.raises(DomainError) as err:
        await checkout.place_order(any_db, pickup_pay_with_delivery, POLICY)
    assert err.value.code == "checkout_payment_unavailable"
    changed = card_pickup(3, expected_total=1)
    with pytest.raises(DomainError) as err:
        await checkout.place_order(any_db, changed, POLICY)
    assert err.value.code == "checkout_price_changed"
    assert await stock_of(any_db, tea) == 5


async def test_stars_order_for_digital_products(any_db: Database) -> None:
    ebook = await make_product(any_db, "EBOOK", price=1999, stock=100, digital=True, stars=50)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {ebook: 2})
    quote = await checkout.preview(any_db, 1, "delivery", POLICY)
    assert quote.delivery_method == "digital" and quote.delivery_fee == 0 and quote.stars_total == 100
    placed = await checkout.place_order(
        any_db, checkout.CheckoutChoice(user_id=1, delivery_method="delivery", payment_method="stars"), POLICY
    )
    assert (placed.currency, placed.total) == ("XTR", 100)


async def test_digital_goods_are_never_charged_by_card_or_on_pickup(any_db: Database) -> None:
    """Telegram's rule: digital goods are paid in Stars only. Card and pay-on-pickup are refused for a digital
    cart before anything is reserved, and a digital product without a Star price cannot be checked out at all."""
    ebook = await make_product(any_db, "EBOOK", price=1999, stock=10, digital=True, stars=50)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {ebook: 1})
    for method in ("card", "pickup"):
        with pytest.raises(DomainError) as refused:
            await checkout.place_order(any_db, card_pickup(1, payment_method=method), POLICY)
        assert refused.value.code == "checkout_digital_stars_only"
    assert await stock_of(any_db, ebook) == 10
    bare = await make_product(any_db, "BARE", price=500, stock=10, digital=True)  # no Star price
    await fill_cart(any_db, 1, {bare: 1})
    with pytest.raises(DomainError) as refused:
        await checkout.place_order(
            any_db, checkout.CheckoutChoice(user_id=1, delivery_method="digital", payment_method="stars"), POLICY
        )
    assert refused.value.code == "checkout_not_for_sale" and refused.value.params["product"] == "Product BARE"
    assert (await stock_of(any_db, ebook), await stock_of(any_db, bare)) == (10, 10)


async def test_mixed_cart_orders_its_physical_lines_and_keeps_the_digital_ones(any_db: Database) -> None:
    """One transaction, one order of the physical lines; the digital line stays in the cart, unreserved."""
    tea = await make_product(any_db, "TEA-1", price=2500, stock=5)
    ebook = await make_product(any_db, "EBOOK", price=1999, stock=10, digital=True, stars=50)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {tea: 2, ebook: 1})
    quote = await checkout.preview(any_db, 1, "pickup", POLICY)
    assert [li.sku for li in quote.lines] == ["TEA-1"] and [li.sku for li in quote.held_back] == ["EBOOK"]
    assert quote.total == 5000 and quote.stars_total is None
    placed = await checkout.place_order(any_db, card_pickup(1), POLICY)
    assert (placed.currency, placed.total) == ("CNY", 5000)
    detail = await orders.get_order(any_db, placed.order_id, user_id=1)
    assert [item.sku for item in detail.items] == ["TEA-1"]
    assert (await stock_of(any_db, tea), await stock_of(any_db, ebook)) == (3, 10)
    async with any_db.read() as session:
        left = (await session.execute(select(CartItem.product_id, CartItem.quantity))).all()
    assert [tuple(row) for row in left] == [(ebook, 1)]
    stars = await checkout.place_order(
        any_db, checkout.CheckoutChoice(user_id=1, delivery_method="digital", payment_method="stars"), POLICY
    )
    assert (stars.currency, stars.total) == ("XTR", 50) and await stock_of(any_db, ebook) == 9


async def test_pay_on_pickup_is_confirmed_with_a_long_hold(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=5)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {tea: 1})
    placed = await checkout.place_order(any_db, card_pickup(1, payment_method="pickup"), POLICY)
    assert placed.status == "confirmed"
    job = await _expiry_job(any_db, placed.order_id)
    assert placed.expires_at is not None
    assert (job.run_at - placed.expires_at).total_seconds() < 1
    detail = await orders.get_order(any_db, placed.order_id)
    assert (detail.expires_at - detail.created_at).total_seconds() >= POLICY.pickup_hold_minutes * 60 - 5  # type: ignore[operator]
    delivered = await orders.admin_transition(any_db, placed.order_id, "delivered", 99)
    assert delivered.status == "delivered" and delivered.paid_at is not None
    recorded = await orders.payments_of(any_db, placed.order_id)
    assert [(p.method, p.amount, p.status) for p in recorded] == [("pickup", detail.total, "paid")]


async def test_double_tap_places_one_order(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=5)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {tea: 2})
    results = await asyncio.gather(
        *(checkout.place_order(any_db, card_pickup(1), POLICY) for _ in range(5)), return_exceptions=True
    )
    placed = [r for r in results if isinstance(r, checkout.PlacedOrder)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(placed) == 1 and len(refused) == 4, results
    assert {r.code for r in refused} <= {"checkout_cart_empty", "checkout_in_progress"}
    assert await stock_of(any_db, tea) == 3


@pytest.mark.slow
async def test_two_thousand_buyers_fifty_units(any_db: Database) -> None:
    buyers = 2000
    tea = await make_product(any_db, "HOT", stock=50)
    ids = list(range(10_000, 10_000 + buyers))
    await make_users(any_db, ids)
    async with any_db.tx() as session:
        session.add_all(CartItem(user_id=uid, product_id=tea, quantity=1) for uid in ids)
    gate = asyncio.Semaphore(150)

    async def buy(uid: int) -> checkout.PlacedOrder | DomainError:
        async with gate:
            try:
                return await checkout.place_order(any_db, card_pickup(uid), POLICY)
            except DomainError as exc:
                return exc

    results = await asyncio.gather(*(buy(uid) for uid in ids))
    placed = [r for r in results if isinstance(r, checkout.PlacedOrder)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(placed) == 50
    assert len(refused) == buyers - 50 and {r.code for r in refused} == {"checkout_sold_out"}
    assert await stock_of(any_db, tea) == 0
    async with any_db.read() as session:
        reserved = (await session.execute(select(func.count()).select_from(Order))).scalar_one()
        units = (
            await session.execute(select(func.count()).select_from(Order).where(Order.status == "pending_payment"))
        ).scalar_one()
    assert reserved == 50 and units == 50
    # The losers keep their carts (they can try again later).
    async with any_db.read() as session:
        carts = (await session.execute(select(func.count()).select_from(CartItem))).scalar_one()
    assert carts == buyers - 50


async def test_successful_payment_credits_once_even_when_delivered_concurrently(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=5)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {tea: 1})
    placed = await checkout.place_order(any_db, card_pickup(1), POLICY)
    incoming = _payment(placed, 1, "charge-1")
    outcomes = await asyncio.gather(*(payments.record_payment(any_db, incoming) for _ in range(6)))
    assert sorted(o.kind for o in outcomes) == ["duplicate"] * 5 + ["paid"]
    again = await payments.record_payment(any_db, incoming)
    assert again.kind == "duplicate"
    detail = await orders.get_order(any_db, placed.order_id)
    assert detail.status == "paid" and detail.paid_at is not None
    assert [e.to_status for e in detail.events] == ["pending_payment", "paid"]
    async with any_db.read() as session:
        rows = (await session.execute(select(Payment))).scalars().all()
        notes = (
            (await session.execute(select(OutboxMessage).where(OutboxMessage.template == "orders.status_changed")))
            .scalars()
            .all()
        )
    assert [(p.amount, p.status) for p in rows] == [(placed.total, "paid")]
    assert len(notes) == 1 and notes[0].params["status"] == "paid"
    assert (await _expiry_job(any_db, placed.order_id)).status == "cancelled"


async def test_pre_checkout_rules(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=5)
    await make_users(any_db, [1, 2])
    await fill_cart(any_db, 1, {tea: 1})
    placed = await checkout.place_order(any_db, card_pickup(1), POLICY)
    payload = payments.invoice_payload(placed.order_id)
    assert (
        await payments.check_pre_checkout(any_db, 1, payload, "CNY", placed.total, query_id="pc-4") == placed.order_id
    )
    for payer, pl, cur, amount, code in [
        (2, payload, "CNY", placed.total, "payment_order_unknown"),
        (1, "order:999:abcd", "CNY", placed.total, "payment_order_unknown"),
        (1, "junk", "CNY", placed.total, "payment_order_unknown"),
        (1, payload, "USD", placed.total, "payment_amount_changed"),
        (1, payload, "CNY", placed.total + 1, "payment_amount_changed"),
    ]:
        with pytest.raises(DomainError) as err:
            await payments.check_pre_checkout(any_db, payer, pl, cur, amount, query_id="pc-5")
        assert err.value.code == code


async def test_expiry_returns_stock_and_late_payment_is_flagged_for_refund(
    any_db: Database, settings: Settings
) -> None:
    tea = await make_product(any_db, "TEA-1", stock=5)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {tea: 3})
    placed = await checkout.place_order(any_db, card_pickup(1), POLICY)
    assert await stock_of(any_db, tea) == 2
    job = await _expiry_job(any_db, placed.order_id)
    scheduler = Scheduler(_ctx(settings, any_db))
    assert await scheduler.fire(job.id) is True
    assert await scheduler.fire(job.id) is False  # once only
    assert await stock_of(any_db, tea) == 5
    detail = await orders.get_order(any_db, placed.order_id)
    assert detail.status == "expired"
    payload = payments.invoice_payload(placed.order_id)
    with pytest.raises(DomainError) as err:
        await payments.check_pre_checkout(any_db, 1, payload, "CNY", placed.total, query_id="pc-6")
    assert err.value.code == "payment_order_expired"
    # Money that arrives anyway is recorded and flagged, never dropped.
    outcome = await payments.record_payment(any_db, _payment(placed, 1, "late-1"))
    assert outcome.kind == "refund" and not outcome.needs_star_refund
    refunds = await payments.pending_refunds(any_db)
    assert [(r.order_id, r.amount, r.method) for r in refunds] == [(placed.order_id, placed.total, "card")]
    assert (await orders.get_order(any_db, placed.order_id)).status == "expired"
    async with any_db.read() as session:
        templates = (await session.execute(select(OutboxMessage.template))).scalars().all()
    assert "payments.late_refund_card" in templates and "orders.status_changed" in templates
    assert await payments.mark_refunded(any_db, refunds[0].payment_id) == "marked"
    assert await payments.mark_refunded(any_db, refunds[0].payment_id) == "already"
    assert await payments.pending_refunds(any_db) == []


async def test_expiry_leaves_a_paid_order_alone(any_db: Database, settings: Settings) -> None:
    tea = await make_product(any_db, "TEA-1", stock=5)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {tea: 1})
    placed = await checkout.place_order(any_db, card_pickup(1), POLICY)
    await payments.record_payment(any_db, _payment(placed, 1, "c-1"))
    async with any_db.tx() as session:
        job = await _expiry_job(any_db, placed.order_id)
        # Force the (cancelled) job due again, as a stale process would.
        row = await session.get(ScheduledJob, job.id)
        assert row is not None
        row.status = "pending"
    assert await Scheduler(_ctx(settings, any_db)).fire(job.id) is True
    assert (await orders.get_order(any_db, placed.order_id)).status == "paid"
    assert await stock_of(any_db, tea) == 4


async def test_cancel_by_buyer_releases_stock_and_checks_ownership(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=5)
    await make_users(any_db, [1, 2])
    await fill_cart(any_db, 1, {tea: 2})
    placed = await checkout.place_order(any_db, card_pickup(1), POLICY)
    with pytest.raises(DomainError) as err:
        await orders.cancel_by_buyer(any_db, placed.order_id, 2)
    assert err.value.code == "order_not_found"
    with pytest.raises(DomainError):
        await orders.get_order(any_db, placed.order_id, user_id=2)
    detail = await orders.cancel_by_buyer(any_db, placed.order_id, 1)
    assert detail.status == "cancelled" and await stock_of(any_db, tea) == 5
    with pytest.raises(DomainError) as err:
        await orders.cancel_by_buyer(any_db, placed.order_id, 1)
    assert err.value.code == "illegal_transition"
    assert await stock_of(any_db, tea) == 5  # not released twice
    assert (await _expiry_job(any_db, placed.order_id)).status == "cancelled"


async def test_illegal_transition_is_refused_not_ignored(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=5)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {tea: 1})
    placed = await checkout.place_order(any_db, card_pickup(1), POLICY)
    for target in ("shipped", "delivered", "refunded"):
        with pytest.raises(DomainError) as err:
            async with any_db.tx() as session:
                await orders.transition(session, placed.order_id, target, "admin:1")
        assert err.value.code == "illegal_transition"
    async with any_db.read() as session:
        events = (await session.execute(select(func.count()).select_from(OrderEvent))).scalar_one()
    assert events == 1


async def test_admin_refund_flags_payment(any_db: Database) -> None:
    tea = await make_product(any_db, "TEA-1", stock=5)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {tea: 1})
    placed = await checkout.place_order(any_db, card_pickup(1), POLICY)
    await payments.record_payment(any_db, _payment(placed, 1, "c-9"))
    shipped = await orders.admin_transition(any_db, placed.order_id, "shipped", 7)
    assert shipped.status == "shipped"
    tasks = await payments.refund_order(any_db, placed.order_id, 7)
    assert [(t.method, t.amount, t.charge_id) for t in tasks] == [("card", placed.total, "c-9")]
    assert (await orders.get_order(any_db, placed.order_id)).status == "refunded"
    assert [r.payment_id for r in await payments.pending_refunds(any_db)] == [tasks[0].payment_id]
    async with any_db.read() as session:
        assert (await session.get(User, 1)) is not None


async def test_pre_checkout_extends_an_almost_expired_hold(any_db: Database) -> None:
    from datetime import timedelta

    from store.models import utcnow

    tea = await make_product(any_db, "TEA-1", stock=5)
    await make_users(any_db, [1])
    await fill_cart(any_db, 1, {tea: 1})
    placed = await checkout.place_order(any_db, card_pickup(1), replace(POLICY, reservation_minutes=1))
    await payments.check_pre_checkout(
        any_db, 1, payments.invoice_payload(placed.order_id), "CNY", placed.total, query_id="pc-7"
    )
    detail = await orders.get_order(any_db, placed.order_id)
    assert detail.expires_at is not None and detail.expires_at > utcnow() + timedelta(minutes=2)
    job = await _expiry_job(any_db, placed.order_id)
    assert abs((job.run_at - detail.expires_at).total_seconds()) < 1
