"""Outside check: a flash winner who chose delivery paid the flash price with no delivery fee (Subtotal ¥9.25 =
Total ¥9.25), while cart and group-buy orders pay the shop's fee below its free-delivery threshold. Store level,
SQLite and PostgreSQL: delivery sets the fee from the goods by the checkout's rule (never adds it on top of what
the order holds, so a second Delivery tap charges it once), a pick-up point takes it off, an invoice for the
amount before a switch is refused at pre-checkout and a payment of it is recorded for a refund, and the sale's
revenue counts the goods, not the fee, when paid and when refunded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store import flashsale, orders, payments
from store.db import Database
from store.delivery_fee import DeliveryRule
from store.errors import DomainError
from tests.flashsale.helpers import live_sale, make_product, make_users

RULE = DeliveryRule(fee=800, free_over=9900)
POINTS = ("central", "north")
WINDOW = timedelta(minutes=15)


async def _won(db: Database, user_id: int, *, sku: str = "RICE-9", price: int = 1990, regular: int = 9900) -> int:
    """`user_id` wins one unit of a live sale at `price`: the order id (created as a delivery, as a tap makes it)."""
    await make_product(db, sku, price=regular, stock=10)
    await make_users(db, [user_id])
    sale = await live_sale(db, sku, stock=2, price=price)
    batch = await flashsale.commit_claims(db, sale.id, [flashsale.ClaimRequest(user_id, 1)], payment_window=WINDOW)
    order_id = batch.results[0].order_id
    assert order_id is not None
    return order_id


def _money(order: orders.OrderDetail) -> tuple[str, int, int, int]:
    return order.delivery_method, order.subtotal, order.delivery_fee, order.total


async def test_delivery_adds_the_fee_once_and_a_pickup_point_takes_it_off(any_db: Database) -> None:
    order_id = await _won(any_db, 31)
    delivered = await flashsale.choose_receipt(any_db, order_id, 31, None, POINTS, rule=RULE)
    assert _money(delivered) == ("delivery", 1990, 800, 2790)
    again = await flashsale.choose_receipt(any_db, order_id, 31, None, POINTS, rule=RULE)
    assert _money(again) == ("delivery", 1990, 800, 2790), "a second Delivery tap charges the fee once"
    picked = await flashsale.choose_receipt(any_db, order_id, 31, "north", POINTS, rule=RULE)
    assert _money(picked) == ("pickup", 1990, 0, 1990), "a pick-up is free"
    back = await flashsale.choose_receipt(any_db, order_id, 31, None, POINTS, rule=RULE)
    assert _money(back) == ("delivery", 1990, 800, 2790)
    assert _money(await orders.get_order(any_db, order_id, 31)) == ("delivery", 1990, 800, 2790)


async def test_goods_at_the_free_delivery_threshold_ship_free(any_db: Database) -> None:
    order_id = await _won(any_db, 32, sku="RICE-10", price=9900, regular=15000)
    delivered = await flashsale.choose_receipt(any_db, order_id, 32, None, POINTS, rule=RULE)
    assert _money(delivered) == ("delivery", 9900, 0, 9900)
    assert RULE.fee_for("delivery", 9899) == 800 and RULE.fee_for("delivery", 9900) == 0


async def test_the_shop_rule_is_the_one_handed_in(any_db: Database) -> None:
    """The bot hands its configured fee in; a shop that never ships free charges it on any amount."""
    order_id = await _won(any_db, 33)
    rule = DeliveryRule(fee=500, free_over=0)
    assert _money(await flashsale.choose_receipt(any_db, order_id, 33, None, (), rule=rule)) == (
        "delivery",
        1990,
        500,
        2490,
    )


async def test_an_invoice_for_the_amount_before_a_switch_is_refused(any_db: Database) -> None:
    order_id = await _won(any_db, 34)
    await flashsale.choose_receipt(any_db, order_id, 34, None, POINTS, rule=RULE)
    old_payload = payments.invoice_payload(order_id)  # the invoice sent for delivery: ¥27.90
    await flashsale.choose_receipt(any_db, order_id, 34, "central", POINTS, rule=RULE)
    with pytest.raises(DomainError) as refused:
        await payments.check_pre_checkout(any_db, 34, old_payload, "CNY", 2790, query_id="pc-8")
    assert refused.value.code == "payment_amount_changed"
    assert (
        await payments.check_pre_checkout(any_db, 34, payments.invoice_payload(order_id), "CNY", 1990, query_id="pc-9")
        == order_id
    )

    # Charged anyway (Telegram charged before the refusal could matter): recorded for a refund, the order unpaid.
    late = payments.IncomingPayment(34, old_payload, "CNY", 2790, "charge-old-amount")
    assert (await payments.record_payment(any_db, late)).kind == "refund"
    assert (await orders.get_order(any_db, order_id)).status == orders.PENDING_PAYMENT


async def test_revenue_counts_the_goods_not_the_delivery_fee(any_db: Database) -> None:
    order_id = await _won(any_db, 35)
    order = await flashsale.choose_receipt(any_db, order_id, 35, None, POINTS, rule=RULE)
    assert order.total == 2790
    paid = payments.IncomingPayment(35, payments.invoice_payload(order_id), "CNY", order.total, "charge-fee")
    assert (await payments.record_payment(any_db, paid)).kind == "paid"
    sale_id = order.source_ref
    assert sale_id is not None
    sale = await flashsale.get_sale(any_db, sale_id)
    assert (sale.paid, sale.revenue) == (1, 1990), "the sale sold one unit at ¥19.90; the fee pays the courier"

    await payments.refund_order(any_db, order_id, 7)
    sale = await flashsale.get_sale(any_db, sale_id)
    assert sale.revenue == 0, "the refund takes back what the payment counted"
