"""A pickup order the buyer collected at the counter reads "Collected" (已取货) in /orders, on its screen and in
its history; a delivery order that arrived keeps "Delivered" (已送达). End to end through the emulator."""

from __future__ import annotations

import asyncio
from typing import Any

from store import checkout, orders
from store.db import Database
from store.models import utcnow
from tests.conftest import ADMIN_ID
from tests.delivery.helpers import outbox_rows, shopper, text_of
from tests.orders.helpers import CONTACT, POLICY, card_pickup, fill_cart, make_product


async def _handed_over(db: Database, user_id: int, tea: int, choice: checkout.CheckoutChoice) -> int:
    """An order paid and then handed over by an admin (the counter or the courier)."""
    await fill_cart(db, user_id, {tea: 1})
    placed = await checkout.place_order(db, choice, POLICY)
    async with db.tx() as session:
        await orders.transition(session, placed.order_id, orders.PAID, "payment")
    if choice.delivery_method == "delivery":
        await orders.admin_transition(db, placed.order_id, orders.SHIPPED, ADMIN_ID)
    await orders.admin_transition(db, placed.order_id, orders.DELIVERED, ADMIN_ID)
    return placed.order_id


async def _notices_delivered(shop: Any) -> None:
    """The paid and handed-over notices go out through the outbox; until they have, one of them could arrive
    after /orders and be taken for the bot's answer to it (rows due later, a review request, may wait)."""
    for _ in range(200):
        now = utcnow()
        if all(row.status != "pending" or row.not_before > now for row in await outbox_rows(shop.db)):
            await shop.client.settle()
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the order notices were not delivered")


async def _list_labels(user: Any) -> list[str]:
    await user.send("/orders")
    listing = await user.last_message()
    assert listing is not None
    return [button.text for row in listing.buttons for button in row]


async def test_collected_pickup_and_delivered_delivery_in_english(shop: Any) -> None:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    alice = await shopper(shop)
    pickup = await _handed_over(shop.db, alice.id, tea, card_pickup(alice.id))
    delivery = await _handed_over(
        shop.db, alice.id, tea, checkout.CheckoutChoice(user_id=alice.id, delivery_method="delivery", contact=CONTACT)
    )
    await _notices_delivered(shop)

    labels = await _list_labels(alice)
    assert any(label.startswith(f"#{pickup} · 📦 Collected") for label in labels), labels
    assert any(label.startswith(f"#{delivery} · 📬 Delivered") for label in labels), labels

    await alice.tap(f"#{pickup} · 📦 Collected")
    screen = text_of(await alice.last_message())  # type: ignore[arg-type]
    assert f"Order #{pickup} — 📦 Collected" in screen, screen
    assert "Delivered" not in screen, "the history says Collected too"
    assert screen.count("📦 Collected") == 2  # the title and the history line

    await alice.tap("All orders")
    await alice.tap(f"#{delivery} · 📬 Delivered")
    screen = text_of(await alice.last_message())  # type: ignore[arg-type]
    assert "📬 Delivered" in screen and "Collected" not in screen


async def test_collected_pickup_in_chinese(shop: Any) -> None:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    lilei = await shopper(shop, "李雷", lang="zh-hans")
    pickup = await _handed_over(shop.db, lilei.id, tea, card_pickup(lilei.id))
    await _notices_delivered(shop)

    labels = await _list_labels(lilei)
    assert any(label.startswith(f"#{pickup} · 📦 已取货") for label in labels), labels
    await lilei.tap(f"#{pickup} · 📦 已取货")
    screen = text_of(await lilei.last_message())  # type: ignore[arg-type]
    assert "已取货" in screen and "已送达" not in screen
