"""Issue 14, the admin's order screens: the buyer by name, paid pickups in the pickup queue (with their code),
and Back from an order returns to the queue it was opened from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.emulator.client import MessageView
from store.models import Order
from tests.conftest import ADMIN_ID
from tests.orders.helpers import fill_cart, make_product


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [b.text for row in message.buttons for b in row]


async def test_pickup_queue_buyer_names_and_back_to_the_queue(shop: Any) -> None:
    await shop.client.set_flood_limits(False)
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    alice = await shop.client.user("Alice", username="alice_l")
    await alice.send("/start")
    await fill_cart(shop.db, alice.id, {tea: 1})
    await alice.send("/checkout")
    await alice.tap("Pick up: Central Store")
    await alice.tap("by card")
    assert (await alice.pay())["status"] == "paid"
    async with shop.db.read() as session:
        order = (await session.execute(select(Order))).scalar_one()
    assert order.status == "paid" and order.pickup_code

    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/admin")
    await ada.tap("Orders")
    menu = await ada.last_message()
    assert "✅ Paid, to ship (0)" in labels(menu), "a paid pickup order does not wait for a courier"
    assert "🏬 Pickup orders (1)" in labels(menu)
    await ada.tap("Pickup orders")
    queue = await ada.last_message()
    (line,) = [label for label in labels(queue) if label.startswith("#1")]
    assert "Alice" in line and order.pickup_code in line

    await ada.tap("#1")
    view = await ada.last_message()
    assert view is not None and "Buyer: Alice (@alice_l)" in (view.text or "")
    assert f"id {alice.id}" in (view.text or "") and "Buyer: " + str(alice.id) not in (view.text or "")
    await ada.tap("Back")
    back = await ada.last_message()
    assert back is not None and "waiting at the pickup point" in (back.text or ""), "Back returns to its queue"

    # The "collected" action, then Back still leads to the pickup queue (now empty).
    await ada.tap("#1")
    await ada.tap("Mark collected")
    await ada.tap("Back")
    assert "Nothing here right now" in ((await ada.last_message()) or view).text
