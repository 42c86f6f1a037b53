"""Store level, SQLite and PostgreSQL: a won unit of a digital product moves to its flash price in Stars before
its invoice (once: a second Pay changes nothing), only for its winner's unpaid digital order, and a Stars payment
counts in the sale's revenue at the flash price (the sale's currency), not as a number of Stars."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store import flashsale, orders, payments
from store.db import Database
from store.errors import Conflict, DomainError
from store.models import utcnow
from tests.flashsale.helpers import live_sale, make_users
from tests.orders import helpers as orders_helpers


def test_the_flash_discount_applies_to_the_star_price() -> None:
    assert flashsale.stars_price(5000, 350, 4000) == 280
    assert flashsale.stars_price(5000, 350, 3999) == 280, "rounded up"
    assert flashsale.stars_price(5000, 350, 1) == 1, "at least one Star"


async def _won_order(db: Database, product: int, sku: str, sale_id: int, user_id: int, method: str) -> int:
    async with db.tx() as session:
        order = await orders.create_order(
            session,
            user_id,
            [orders.OrderLine(product, sku, sku, sku, 4000, 1)],
            currency="CNY",
            payment_method="card",
            delivery_method=method,
            source=flashsale.SOURCE,
            source_ref=sale_id,
            expires_at=utcnow().replace(year=2099),
        )
        return order.id


async def test_a_digital_win_is_paid_in_stars(any_db: Database) -> None:
    await orders_helpers.make_product(any_db, "GIFT", price=5000, stock=10, digital=True, stars=350)
    await make_users(any_db, [1, 2])
    sale = await live_sale(any_db, "GIFT", stock=2, price=4000)
    batch = await flashsale.commit_claims(
        any_db, sale.id, [flashsale.ClaimRequest(1, 1)], payment_window=timedelta(minutes=5)
    )
    (won,) = batch.results
    assert won.outcome == flashsale.WON and won.order_id is not None
    order_id = won.order_id
    assert (await orders.get_order(any_db, order_id)).delivery_method == "digital"
    with pytest.raises(Conflict):
        await flashsale.pay_in_stars(any_db, order_id, 2)  # someone else's order
    moved = await flashsale.pay_in_stars(any_db, order_id, 1)
    assert moved is not None and (moved.currency, moved.total, moved.payment_method) == ("XTR", 280, "stars")
    assert [item.unit_price for item in moved.items] == [280]
    again = await flashsale.pay_in_stars(any_db, order_id, 1)
    assert again is not None and (again.currency, again.total) == ("XTR", 280), "a second Pay changes nothing"

    incoming = payments.IncomingPayment(1, payments.invoice_payload(order_id), "XTR", 280, "stars-1")
    assert (await payments.record_payment(any_db, incoming)).kind == "paid"
    done = await flashsale.get_sale(any_db, sale.id)
    assert (done.paid, done.revenue) == (1, 4000)
    with pytest.raises(Conflict):
        await flashsale.pay_in_stars(any_db, order_id, 1)  # paid: nothing to move


async def test_no_star_price_is_no_sale_and_physical_goods_stay_as_they_are(any_db: Database) -> None:
    ebook = await orders_helpers.make_product(any_db, "BOOK", price=5000, stock=10, digital=True)
    tea = await orders_helpers.make_product(any_db, "TEA", price=5000, stock=10)
    await make_users(any_db, [1])
    # Digital goods sell for Stars only: without a Star price there is nothing to sell (not even by card).
    with pytest.raises(DomainError) as refused:
        await live_sale(any_db, "BOOK", stock=1, price=4000)
    assert refused.value.code == "flash_not_for_sale"
    assert await orders_helpers.stock_of(any_db, ebook) == 10, "no units taken for a refused sale"
    tea_sale = await live_sale(any_db, "TEA", stock=1, price=4000)
    tea_order = await _won_order(any_db, tea, "TEA", tea_sale.id, 1, "delivery")
    with pytest.raises(Conflict):
        await flashsale.pay_in_stars(any_db, tea_order, 1)
