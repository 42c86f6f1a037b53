"""/forgetme while an order is on its way: the paid order keeps its delivery details (erasing them left a paid
parcel with no address, outside tester), the shopper is told which orders keep them and until when, and they go
when the order is finished (delivered, cancelled, expired or refunded). Finished orders are erased at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.i18n import t
from store import checkout, orders, privacy
from store.db import Database
from store.models import Order
from tests.orders.helpers import CONTACT, POLICY, fill_cart, make_product, make_users
from tests.payments_inbox.helpers import wait_bot_says


async def _order(db: Database, user_id: int, sku: str) -> int:
    tea = await make_product(db, sku, price=2500, stock=5)
    await fill_cart(db, user_id, {tea: 1})
    choice = checkout.CheckoutChoice(
        user_id=user_id, delivery_method="delivery", payment_method="card", contact=CONTACT, expected_total=3300
    )
    return (await checkout.place_order(db, choice, POLICY)).order_id


async def _move(db: Database, order_id: int, *statuses: str, notify: bool = True) -> None:
    for status in statuses:
        async with db.tx() as session:
            await orders.transition(session, order_id, status, "admin:1", notify_buyer=notify)


async def _contact(db: Database, order_id: int) -> tuple[str | None, str | None, str | None]:
    async with db.read() as session:
        order = (await session.execute(select(Order).where(Order.id == order_id))).scalar_one()
        return order.contact_name, order.phone, order.address


async def test_open_orders_keep_their_details_until_finished(any_db: Database) -> None:
    await make_users(any_db, [42])
    delivered, paid, unpaid = [await _order(any_db, 42, f"TEA-{i}") for i in range(3)]
    await _move(any_db, delivered, orders.PAID, orders.SHIPPED, orders.DELIVERED)
    await _move(any_db, paid, orders.PAID)

    erasure = await privacy.forget_user(any_db, 42)
    assert (erasure.orders_anonymised, erasure.orders_open) == (1, 2)
    assert await _contact(any_db, delivered) == (privacy.ERASED_CONTACT, None, None)
    for open_order in (paid, unpaid):
        assert await _contact(any_db, open_order) == (CONTACT.name, CONTACT.phone, CONTACT.address)

    await _move(any_db, paid, orders.SHIPPED)
    assert (await _contact(any_db, paid))[2] == CONTACT.address, "a parcel in transit keeps its address"
    await _move(any_db, paid, orders.DELIVERED)
    await _move(any_db, unpaid, orders.CANCELLED)
    for finished in (paid, unpaid):
        assert await _contact(any_db, finished) == (privacy.ERASED_CONTACT, None, None)


async def test_a_customer_who_never_erased_keeps_details_on_finished_orders(any_db: Database) -> None:
    await make_users(any_db, [7])
    order_id = await _order(any_db, 7, "TEA-7")
    await _move(any_db, order_id, orders.PAID, orders.SHIPPED, orders.DELIVERED)
    assert await _contact(any_db, order_id) == (CONTACT.name, CONTACT.phone, CONTACT.address)


async def test_forgetme_with_a_paid_order_on_its_way(shop: Any) -> None:
    alice = await shop.client.user("Alice", lang="en")
    await alice.send("/start")
    order_id = await _order(shop.db, alice.id, "TEA-1")
    await _move(shop.db, order_id, orders.PAID, notify=False)  # no notice racing the question below

    await alice.send("/forgetme")
    await alice.tap(t("en", "privacy.forget_yes"))
    said = await wait_bot_says(shop.client, alice, t("en", "privacy.open_orders_kept", orders=1))
    assert t("en", "privacy.forgotten_no_orders") in (said.text or "") and "0 orders" not in (said.text or "")
    assert await _contact(shop.db, order_id) == (CONTACT.name, CONTACT.phone, CONTACT.address)


async def test_an_open_order_without_details_is_not_said_to_keep_any(any_db: Database) -> None:
    """Outside tester: "1 order is still on the way: it keeps your delivery details" for an unpaid pickup order
    that never had any."""
    await make_users(any_db, [43])
    tea = await make_product(any_db, "TEA-P", price=2500, stock=5)
    await fill_cart(any_db, 43, {tea: 1})
    bare = checkout.CheckoutChoice(
        user_id=43, delivery_method="pickup", payment_method="pickup", pickup_point="central", contact=None
    )
    await checkout.place_order(any_db, bare, POLICY)
    assert (await privacy.forget_user(any_db, 43)).orders_open == 0
