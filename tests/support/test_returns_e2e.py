"""A return after delivery, as an outside tester tried it: the FAQ said "start a return from /orders", but the
order screen had no such button and no admin screen could open a delivered order. Now the buyer's delivered
order offers "Return or refund", which opens a ticket with the order attached, and an admin opens any order
with /order N and refunds it there. Real bot, emulator."""

from __future__ import annotations

from typing import Any

import pytest

from store import orders, support
from tests.social.helpers import bought

pytestmark = [pytest.mark.demo_people, pytest.mark.seeded]


async def test_a_delivered_order_is_returned_through_a_ticket_and_refunded_by_order_number(desk: Any) -> None:
    shop = desk
    alice = shop.people["Alice"]
    order_id, _ = await bought(shop.db, alice.id, ["TEA-PUER"], status="delivered")
    await alice.send("/orders")
    await alice.tap(f"#{order_id}")
    detail = await alice.last_message()
    assert detail is not None and any("Return or refund" in b.text for row in detail.buttons for b in row)
    await alice.tap("Return or refund")
    opened = await alice.last_message()
    assert opened is not None and f"#{order_id}" in (opened.text or ""), opened
    ticket = await support.active_ticket(shop.db, alice.id)
    assert ticket is not None and ticket.thread_id is not None

    owner = shop.people["Ada"]  # the demo shop's admin
    await owner.send("/order")
    assert "/order 12" in ((await owner.last_message()).text or "")  # type: ignore[union-attr]
    await owner.send(f"/order {order_id}")
    screen = await owner.last_message()
    assert screen is not None and f"#{order_id}" in (screen.text or "")
    await owner.tap("Refund", message=screen)
    await owner.tap("Yes, refund")
    assert (await orders.get_order(shop.db, order_id)).status == orders.REFUNDED

    # Someone else's order number in a forged button is refused, in the tapper's language.
    li = shop.people["李雷"]
    await li.tap_data(f"od:return:{order_id}")
    assert await li.toasts(), "answered, not left spinning"
    assert await support.active_ticket(shop.db, li.id) is None
