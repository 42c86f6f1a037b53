"""Flash sales through the real bot and the emulator: `start=now` goes live, a live sale's price is on the
product card and in /search and is what the shopper pays, the announcement reaches shopper groups and
subscribers but never the support forum, and a winner can pick the unit up instead of having it delivered."""

from __future__ import annotations

from typing import Any

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from store import flashsale, orders, scheduling
from store.db import Database
from tests.conftest import ADMIN_ID
from tests.flashsale.helpers import live_sale, make_product


async def _job_id(db: Database, key: str) -> int:
    async with db.read() as session:
        return next(j.id for j in await scheduling.pending_jobs(session) if j.key == key)


async def _bot_message(shop: Stack, user: UserHandle, needle: str, chat: Any = None) -> MessageView:
    async def find() -> MessageView | None:
        for message in reversed(await user.messages(chat)):
            if message.from_bot and needle in (message.text or ""):
                return message
        return None

    found: MessageView = await shop.client.wait_for(find, timeout=10)
    return found


async def _invoice(shop: Stack, user: UserHandle) -> MessageView:
    async def find() -> MessageView | None:
        return next((m for m in reversed(await user.messages()) if m.invoice), None)

    found: MessageView = await shop.client.wait_for(find, timeout=10)
    return found


def _entity_text(text: str, entity: dict[str, Any]) -> str:
    """Entity offsets count UTF-16 code units (an emoji counts two)."""
    units = text.encode("utf-16-le")
    start, length = entity["offset"] * 2, entity["length"] * 2
    return units[start : start + length].decode("utf-16-le")


def _labels(message: MessageView) -> list[str]:
    return [b.text for row in message.buttons for b in row]


async def test_flash_create_with_start_now_goes_live(shop: Stack) -> None:
    """The shop's config gives gold members 10 minutes of early access; a sale starting now is still live."""
    await make_product(shop.db, "RICE-1", stock=10)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    await ada.send("/flash_create sku=RICE-1 price=19.90 stock=2 start=now end=+1h")
    sale = (await flashsale.list_sales(shop.db))[0]

    async def settled() -> str | None:
        status = (await flashsale.get_sale(shop.db, sale.id)).status
        return status if status != flashsale.SCHEDULED else None

    assert await shop.client.wait_for(settled, timeout=10) == flashsale.LIVE
    assert not [m for m in await ada.messages() if "did not start" in (m.text or "")], "no 'missed' note"


@pytest.mark.seeded
async def test_live_sale_price_on_card_and_search_and_charged(shop: Stack) -> None:
    await live_sale(shop.db, "TEA-LONGJING", stock=3, price=9900)  # regular price ¥198.00
    alice = await shop.client.user("Alice")
    await alice.send("/start")

    await alice.send("/search longjing")
    results = await alice.last_message()
    assert results is not None and results.text is not None
    assert "¥99.00" in results.text and "¥198.00" in results.text, results.text
    struck = [_entity_text(results.text, e) for e in results.entities if e["type"] == "strikethrough"]
    assert struck == ["¥198.00"], "the old price is struck through"
    assert any("¥99.00" in label for label in _labels(results))

    await alice.tap(next(label for label in _labels(results) if "Longjing" in label), message=results)

    async def card_shown() -> MessageView | None:
        for message in reversed(await alice.messages()):
            if message.from_bot and "Longjing" in (message.caption or message.text or ""):
                return message
        return None

    card: MessageView = await shop.client.wait_for(card_shown, timeout=10)
    body = card.caption or card.text or ""
    assert "¥99.00" in body and "¥198.00" in body, body
    buy = next(label for label in _labels(card) if "¥99.00" in label)
    assert not [label for label in _labels(card) if "Add" in label], "no button charges the regular price"
    won = await alice.tap(buy, message=card)
    assert won.toast is not None and "You got one" in (won.toast.text or "")

    note = await _bot_message(shop, alice, "flash price")
    await alice.tap(next(label for label in _labels(note) if "Delivery" in label), message=note)
    invoice = await _invoice(shop, alice)
    assert invoice.invoice is not None and invoice.invoice["total_amount"] == 9900
    assert (await alice.pay(message=invoice))["status"] == "paid"


@pytest.mark.demo_people
async def test_announcement_reaches_groups_and_subscribers_not_the_support_forum(shop: Stack) -> None:
    await make_product(shop.db, "TEA-9", stock=10)
    ada, alice, sam = shop.people["Ada"], shop.people["Alice"], shop.people["Sam"]
    group, forum = shop.chats["group"], shop.chats["support"]
    for person in (ada, alice):
        await person.send("/start")
    await alice.send("/subscribe")
    await ada.send("/flash_create sku=TEA-9 price=5 stock=2 start=+1h end=+2h")
    sale = (await flashsale.list_sales(shop.db))[0]
    scheduler = shop.app.scheduler
    assert scheduler is not None
    assert await scheduler.fire(await _job_id(shop.db, flashsale.start_key(sale.id)))
    if await _has_job(shop.db, flashsale.public_key(sale.id)):
        assert await scheduler.fire(await _job_id(shop.db, flashsale.public_key(sale.id)))
    await _bot_message(shop, alice, "Flash sale", chat=group)
    await _bot_message(shop, alice, "Flash sale")
    await shop.client.settle()
    forum_messages = await sam.messages(forum)
    assert not [m for m in forum_messages if "Flash sale" in (m.text or "")], "nothing for shoppers in support"


async def _has_job(db: Database, key: str) -> bool:
    async with db.read() as session:
        return any(j.key == key for j in await scheduling.pending_jobs(session))


async def test_a_flash_order_offers_pickup(shop: Stack) -> None:
    await make_product(shop.db, "RICE-1", price=9900, stock=10)
    sale = await live_sale(shop.db, "RICE-1", stock=3, price=1990)
    alice = await shop.client.user("Alice")
    group = await shop.client.group("Neighbours", members=[alice], bot_admin=True)
    await alice.send("/start")
    async with shop.db.tx() as session:
        await flashsale.open_to_everyone(session, sale.id)
    card = await _bot_message(shop, alice, "Flash sale", chat=group)
    won = await alice.tap(message=card, chat=group)
    assert won.toast is not None and "You got one" in (won.toast.text or "")

    note = await _bot_message(shop, alice, "flash price")
    labels = _labels(note)
    assert any("Delivery" in label for label in labels)
    pickup = next(label for label in labels if "Central Store" in label)
    chosen = await alice.tap(pickup, message=note)
    assert chosen.toast is not None and "1 Market Street" in (chosen.toast.text or "")
    invoice = await _invoice(shop, alice)
    assert invoice.invoice is not None and invoice.invoice["total_amount"] == 1990
    assert not invoice.invoice.get("need_shipping_address"), "a pick-up needs no address"
    order_id = (await flashsale.claims_of(shop.db, sale.id))[0][3]
    assert order_id is not None
    order = await orders.get_order(shop.db, order_id)
    assert (order.delivery_method, order.pickup_point) == ("pickup", "central")
    assert (await alice.pay(message=invoice))["status"] == "paid"
    assert (await orders.get_order(shop.db, order_id)).status == orders.PAID
