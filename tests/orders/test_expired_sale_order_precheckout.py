"""Outside check: a flash-sale winner who did not pay in time paid the old invoice anyway and was refused with "This
order has expired and its items were released. Please check out again." A flash unit (or a group-buy order) cannot
be checked out again: its unit went back to the sale. The refusal says so for those orders; a cart order keeps
"check out again". SQLite and PostgreSQL; the texts in en and zh."""

from __future__ import annotations

import pytest

from bot.views.errors import error_text
from store import payments
from store.db import Database
from store.errors import DomainError
from store.models import Order
from tests.orders.helpers import make_users


async def _expired(db: Database, source: str) -> int:
    async with db.tx() as session:
        order = Order(
            user_id=1,
            status="expired",
            currency="CNY",
            subtotal=925,
            total=925,
            source=source,
            payment_method="card",
            delivery_method="pickup",
        )
        session.add(order)
        await session.flush()
        return order.id


async def _refusal(db: Database, order_id: int) -> DomainError:
    with pytest.raises(DomainError) as refused:
        await payments.check_pre_checkout(db, 1, payments.invoice_payload(order_id), "CNY", 925, query_id="pc-3")
    return refused.value


async def test_an_expired_sale_order_is_not_sent_back_to_check_out(any_db: Database) -> None:
    await make_users(any_db, [1])
    cart = await _refusal(any_db, await _expired(any_db, "cart"))
    assert cart.code == "payment_order_expired" and "check out again" in error_text("en", cart)
    for source in ("flashsale", "groupbuy"):
        refused = await _refusal(any_db, await _expired(any_db, source))
        assert refused.code == "payment_order_expired_no_retry", source
        assert "check out again" not in error_text("en", refused) and "went back" in error_text("en", refused)
        assert "重新结账" not in error_text("zh", refused) and "无法再付款" in error_text("zh", refused)
