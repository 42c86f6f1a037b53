"""A flash-sale winner who picks a pick-up point gets a pickup code, as a normal checkout's pickup order does, and
the payment confirmation shows it (the counter asks for it). End to end through the emulator."""

from __future__ import annotations

import re

from bot.sandbox import Stack
from store import flashsale, orders, scheduling
from store.db import Database
from store.delivery import PICKUP_CODE_ALPHABET, PICKUP_CODE_LENGTH
from tests.conftest import ADMIN_ID
from tests.delivery.helpers import bot_says, text_of
from tests.flashsale.helpers import live_sale, make_product, make_users
from tests.flashsale.test_flash_e2e import _card, _last_invoice

CODE_RE = re.compile(rf"^[{PICKUP_CODE_ALPHABET}]{{{PICKUP_CODE_LENGTH}}}$")


async def test_flash_pickup_order_gets_a_code_shown_on_payment(shop: Stack) -> None:
    await make_product(shop.db, "TEA-8", stock=5)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    alice = await shop.client.user("Alice")
    group = await shop.client.group("Tea lovers", members=[alice], bot_admin=True)
    await ada.send("/start")
    await ada.send("/flash_create sku=TEA-8 price=5 stock=2 start=+1h end=+2h")
    sale = (await flashsale.list_sales(shop.db))[0]
    async with shop.db.read() as session:
        start = next(j.id for j in await scheduling.pending_jobs(session) if j.key == flashsale.start_key(sale.id))
    assert await shop.app.scheduler.fire(start)  # type: ignore[union-attr]
    card = await _card(alice, group, shop)
    won = await alice.tap(message=card, chat=group)
    url = (won.toast.url if won.toast else None) or won.url
    assert url is not None
    await alice.open_deeplink(url.split("start=", 1)[1])

    await alice.tap("Pick up: Central Store")
    order_id = (await flashsale.claims_of(shop.db, sale.id))[0][3]
    assert order_id is not None
    order = await orders.get_order(shop.db, order_id)
    assert order.delivery_method == "pickup"
    assert order.pickup_code is not None and CODE_RE.match(order.pickup_code), "a pickup order carries its code"

    invoice = await shop.client.wait_for(lambda: _last_invoice(alice), timeout=5)
    assert (await alice.pay(message=invoice))["status"] == "paid"
    paid = await bot_says(shop, alice, "Payment received")
    assert "Central Store" in text_of(paid)
    assert f"Pickup code: {order.pickup_code}" in text_of(paid), "the winner is shown the code, as at checkout"


async def test_the_code_follows_the_receipt_choice(any_db: Database) -> None:
    """Store level: choosing a point gives the order one code (kept on a repeat); delivery has none."""
    product = await make_product(any_db, "TEA-7", stock=5)
    await make_users(any_db, [501])
    sale = await live_sale(any_db, "TEA-7", stock=2)
    async with any_db.tx() as session:
        order = await orders.create_order(
            session,
            501,
            [orders.OrderLine(product, "TEA-7", "Tea", "茶", 500, 1)],
            currency="CNY",
            payment_method="card",
            delivery_method="delivery",
            source=flashsale.SOURCE,
            source_ref=sale.id,
        )
    picked = await flashsale.choose_receipt(any_db, order.id, 501, "central", ["central"])
    assert picked.pickup_code is not None and CODE_RE.match(picked.pickup_code)
    again = await flashsale.choose_receipt(any_db, order.id, 501, "central", ["central"])
    assert again.pickup_code == picked.pickup_code, "choosing the same point twice keeps one code"
    delivered = await flashsale.choose_receipt(any_db, order.id, 501, None, ["central"])
    assert delivered.pickup_code is None
