"""Staff see a collected pickup order as "collected" (已取货) too, as the shopper does (test_collected_wording_e2e):
on the support ticket card, in the admin's order queue and move toast, on the group-buy leader's screen and in
the assistant's order status. A delivery order keeps "delivered". End to end through the emulator where staff
look at it; the wording helpers in English and Chinese."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.emulator.client import MessageView
from bot.views.groupbuy import order_state
from bot.views.orders import status_label
from bot.views.support import status_name
from store import checkout, groupbuy, orders, support, users
from store.models import Order
from tests.conftest import ADMIN_ID
from tests.delivery.helpers import shopper, text_of
from tests.delivery.test_collected_wording_e2e import _handed_over
from tests.groupbuy.helpers import POLICY as GB_POLICY
from tests.groupbuy.helpers import make_product as gb_product
from tests.groupbuy.helpers import publish
from tests.orders.helpers import CONTACT, POLICY, card_pickup, fill_cart, make_product


async def _card(shop: Any, ticket_id: int) -> MessageView:
    ticket = await support.get_ticket(shop.db, ticket_id)
    assert ticket.thread_id is not None
    topic = await shop.client.messages(shop.chats["support"].id, thread=ticket.thread_id)
    return next(m for m in topic if m.message_id == ticket.card_message_id)


@pytest.mark.demo_people
async def test_support_card_says_collected_for_a_pickup_order(shop: Any) -> None:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    mia = await shopper(shop, "Mia")
    pickup = await _handed_over(shop.db, mia.id, tea, card_pickup(mia.id))
    delivery = await _handed_over(
        shop.db, mia.id, tea, checkout.CheckoutChoice(user_id=mia.id, delivery_method="delivery", contact=CONTACT)
    )
    await mia.send("I want to talk to a human")
    ticket = await support.active_ticket(shop.db, mia.id)
    assert ticket is not None
    card = text_of(await _card(shop, ticket.id))
    lines = {line.split(" · ")[0]: line for line in card.splitlines() if line.startswith("#")}
    assert " · collected · " in lines[f"#{pickup}"], card
    assert " · delivered · " in lines[f"#{delivery}"], card


async def test_admin_hands_over_a_pickup_order_and_reads_collected(shop: Any) -> None:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    alice = await shopper(shop)
    await fill_cart(shop.db, alice.id, {tea: 1})
    placed = await checkout.place_order(shop.db, card_pickup(alice.id), POLICY)
    async with shop.db.tx() as session:
        await orders.transition(session, placed.order_id, orders.PAID, "payment")
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    await ada.send("/admin")
    await ada.tap("Orders")
    await ada.tap("Pickup orders")
    await ada.tap(f"#{placed.order_id}")
    moved = await ada.tap("📦 Mark collected")
    assert moved.toast is not None and f"Order #{placed.order_id}: 📦 Collected" in moved.toast.text, moved.toast
    screen = text_of(await ada.last_message())  # type: ignore[arg-type]
    assert "📦 Collected" in screen and "Delivered" not in screen, screen


def test_staff_wording_in_both_languages() -> None:
    assert status_name("en", "delivered", "pickup") == "collected"
    assert status_name("zh", "delivered", "pickup") == "已取货"
    assert status_name("zh", "delivered", "delivery") == "已送达"
    assert status_name("en", "paid", "pickup") == "paid"
    assert order_state("en", "delivered", "pickup") == "collected"
    assert order_state("zh", "delivered", "pickup") == "已取货"
    assert order_state("zh", "delivered", "delivery") == "已完成"
    assert order_state("en", "delivered", "digital") == "delivered"
    assert status_label("zh", "delivered", "pickup") == "📦 已取货"


async def test_leader_sees_collected_for_a_pickup_participant(shop: Any) -> None:
    leo = await shopper(shop, "Leo")
    pam = await shopper(shop, "Pam")
    dan = await shopper(shop, "Dan")
    await users.grant_role(shop.db, leo.id, "leader")
    buy = await publish(shop.db, await gb_product(shop.db, stock=20), leader_id=leo.id, minimum=2)
    for person in (pam, dan):
        await groupbuy.join(shop.db, buy.id, person.id)
    await groupbuy.set_delivery(shop.db, buy.id, pam.id, "pickup_pay", policy=GB_POLICY)
    await groupbuy.set_delivery(shop.db, buy.id, dan.id, "delivery", orders.Contact("Dan", "+8613800000000", "1 Road"))
    async with shop.db.tx() as session:
        assert (await groupbuy.close(session, buy.id, GB_POLICY)).status == "succeeded"
    async with shop.db.tx() as session:
        placed = {o.user_id: o.id for o in (await session.execute(select(Order))).scalars()}
        await orders.transition(session, placed[pam.id], orders.DELIVERED, "admin:1")
        for status in (orders.PAID, orders.SHIPPED, orders.DELIVERED):
            await orders.transition(session, placed[dan.id], status, "admin:1")

    # The leader's "succeeded" notice is paced through the outbox: let it land before the screen is read.
    await shop.client.wait_for(lambda: _told(leo, "succeeded"), timeout=15)
    await leo.send("/leader")
    await leo.tap(f"#{buy.id} ")
    screen = text_of(await leo.last_message())  # type: ignore[arg-type]
    people = {line.split(":")[0]: line for line in screen.splitlines() if line.startswith("• ")}
    assert "• Pam" in people and "• Dan" in people, screen
    assert " · collected · " in people["• Pam"], screen
    assert " · delivered · " in people["• Dan"], screen


async def _told(user: Any, needle: str) -> bool:
    return any(m.from_bot and needle in (m.text or "") for m in await user.messages())
