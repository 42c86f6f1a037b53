"""A flash sale through the real bot and the Telegram emulator: an admin schedules it, the start event posts the
card in the group and privately to subscribers, people tap Buy, the winners pay privately, an unpaid unit
returns to the pool when its payment window expires, and the end edits the card and tells the admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from bot.config import Settings
from bot.emulator.client import MessageView, UserHandle
from bot.emulator.server import EmulatorConfig
from bot.sandbox import Stack, start_stack
from store import flashsale, orders, scheduling
from store.db import Database
from tests import strict
from tests.conftest import ADMIN_ID
from tests.flashsale.helpers import make_product, product_stock


async def _job_id(db: Database, key: str) -> int:
    async with db.read() as session:
        jobs = await scheduling.pending_jobs(session)
    return next(j.id for j in jobs if j.key == key)


async def _card(user: UserHandle, chat: object, shop: Stack) -> MessageView:
    async def find() -> MessageView | None:
        for message in reversed(await user.messages(chat)):  # type: ignore[arg-type]
            if message.from_bot and message.text and "Flash sale" in message.text:
                return message
        return None

    found: MessageView = await shop.client.wait_for(find, timeout=10)
    return found


async def _private_with(user: UserHandle, shop: Stack, needle: str) -> MessageView:
    async def find() -> MessageView | None:
        for message in reversed(await user.messages()):
            if message.from_bot and message.text and needle in message.text:
                return message
        return None

    found: MessageView = await shop.client.wait_for(find, timeout=10)
    return found


async def test_flash_sale_in_a_group(shop: Stack) -> None:
    product_id = await make_product(shop.db, "RICE-1", stock=10)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    alice = await shop.client.user("Alice")
    bob = await shop.client.user("Bob")
    carol = await shop.client.user("Carol")
    group = await shop.client.group("Neighbours", members=[alice, bob, carol], bot_admin=True)
    for person in (ada, alice, bob, carol):
        await person.send("/start")
    await bob.send("/subscribe")
    assert "announcements" in (await bob.last_message()).text  # type: ignore[union-attr]

    # The admin schedules a sale for 2 units, one per person; it is not started yet.
    await ada.send("/flash_create sku=RICE-1 price=19.90 stock=2 start=+1h end=+2h limit=1 groups=all")
    assert "scheduled" in (await ada.last_message()).text  # type: ignore[union-attr]
    sale = (await flashsale.list_sales(shop.db))[0]
    assert sale.status == "scheduled" and await product_stock(shop.db, product_id) == 8

    # Start time: the start event fires (as APScheduler would) and the announcements go out.
    assert await shop.app.scheduler.fire(await _job_id(shop.db, flashsale.start_key(sale.id)))  # type: ignore[union-attr]
    card = await _card(alice, group, shop)
    assert "¥19.90" in card.text and card.buttons  # type: ignore[operator]
    private_card = await _card(bob, None, shop)
    assert private_card.buttons
    assert not [m for m in await carol.messages() if m.text and "Flash sale" in m.text], "carol did not subscribe"

    # First come, first served: alice (group card) and bob (private card) win, carol is too late.
    won = await alice.tap(message=card, chat=group)
    assert won.toast is not None and "You got one" in won.toast.text
    again = await alice.tap(message=card, chat=group)
    assert again.toast is not None and "You already have one" in again.toast.text
    won_bob = await bob.tap(message=private_card)
    assert won_bob.toast is not None and "You got one" in won_bob.toast.text
    late = await carol.tap(message=card, chat=group)
    assert late.toast is not None and "Sold out" in late.toast.text

    # Winners get their order privately (through the outbox) with a Pay button that sends the invoice.
    note = await _private_with(alice, shop, "flash price")
    await alice.tap("Pay", message=note)
    invoice = await shop.client.wait_for(lambda: _last_invoice(alice), timeout=5)
    assert invoice.invoice["total_amount"] == 1990 + 800, "the flash price and the shop's delivery fee"
    paid = await alice.pay(message=invoice)
    assert paid["status"] == "paid"
    # The group card now says sold out (bob has not paid yet).
    await shop.client.wait_for(lambda: _text_of(alice, group, card.message_id, "sold out"), timeout=10)

    # Bob's payment window runs out: the unit goes back to the pool and carol can get it.
    bob_order = (await flashsale.claims_of(shop.db, sale.id))[1][3]
    assert bob_order is not None
    assert await shop.app.scheduler.fire(await _job_id(shop.db, orders.expiry_key(bob_order)))  # type: ignore[union-attr]
    assert (await orders.get_order(shop.db, bob_order)).status == "expired"
    assert (await flashsale.get_sale(shop.db, sale.id)).sold == 1
    await shop.client.wait_for(lambda: _text_of(alice, group, card.message_id, "First come"), timeout=10)
    retry = await carol.tap(message=card, chat=group)
    assert retry.toast is not None and "You got one" in retry.toast.text

    # End time: the card says it is over (no button), the admin gets the summary.
    assert await shop.app.scheduler.fire(await _job_id(shop.db, flashsale.end_key(sale.id)))  # type: ignore[union-attr]
    await shop.client.wait_for(lambda: _text_of(alice, group, card.message_id, "is over"), timeout=10)
    summary = await _private_with(ada, shop, "is over")
    assert "Paid: 1 of 2" in summary.text and "¥19.90" in summary.text  # type: ignore[operator]
    assert "back in the pool (unpaid or refunded): 1" in summary.text  # type: ignore[operator]
    final_card = next(m for m in await alice.messages(group) if m.message_id == card.message_id)
    assert final_card.edited and not final_card.buttons, "the ended card keeps no Buy button"
    done = await flashsale.get_sale(shop.db, sale.id)
    assert done.status == "ended" and done.paid == 1 and done.revenue == 1990, "the goods: the fee is not revenue"
    # Carol's unit is still awaiting payment; nothing unsold was left, so the product stock is unchanged.
    assert await product_stock(shop.db, product_id) == 8


async def _last_invoice(user: UserHandle) -> MessageView | None:
    for message in reversed(await user.messages()):
        if message.invoice:
            return message
    return None


async def _text_of(user: UserHandle, chat: object, message_id: int, needle: str) -> bool:
    for message in await user.messages(chat):  # type: ignore[arg-type]
        if message.message_id == message_id:
            return needle in (message.text or "")
    return False


async def test_sold_out_when_every_unit_is_paid_ends_the_sale(shop: Stack) -> None:
    await make_product(shop.db, "TEA-9", stock=5)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    alice = await shop.client.user("Alice")
    group = await shop.client.group("Tea lovers", members=[alice], bot_admin=True)
    await ada.send("/start")
    await ada.send("/flash_create sku=TEA-9 price=5 stock=1 start=+1h end=+2h")
    sale = (await flashsale.list_sales(shop.db))[0]
    await shop.app.scheduler.fire(await _job_id(shop.db, flashsale.start_key(sale.id)))  # type: ignore[union-attr]
    card = await _card(alice, group, shop)
    # Alice never opened a private chat with the bot: the winning tap's answer opens it with a pay link.
    won = await alice.tap(message=card, chat=group)
    url = (won.toast.url if won.toast else None) or won.url
    assert url is not None and "start=fsp_" in url
    await alice.open_deeplink(url.split("start=", 1)[1])
    # Like a normal checkout, the winner first picks delivery or a pick-up point; that tap sends the invoice.
    await alice.tap("Delivery")
    invoice = await shop.client.wait_for(lambda: _last_invoice(alice), timeout=5)
    assert invoice.invoice["total_amount"] == 500 + 800, "the flash price and the shop's delivery fee"
    await alice.pay(message=invoice)
    # Paying the last unit moves the end event to now: the scheduler ends the sale with reason "sold out".
    await shop.client.wait_for(lambda: _status(shop.db, sale.id, "ended"), timeout=10)
    assert (await flashsale.get_sale(shop.db, sale.id)).end_reason == "sold_out"
    summary = await _private_with(ada, shop, "is over")
    assert "sold out" in summary.text  # type: ignore[operator]


async def _status(db: Database, sale_id: int, status: str) -> bool:
    return (await flashsale.get_sale(db, sale_id)).status == status


async def test_admin_menu_section_lists_and_cancels(shop: Stack) -> None:
    await make_product(shop.db, "SOAP-1", stock=5)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    eve = await shop.client.user("Eve")
    await ada.send("/start")
    await ada.send("/flash_create sku=SOAP-1 price=1.5 stock=3 start=+1h end=+2h limit=2")
    await ada.send("/admin")
    await ada.tap("Flash sales")
    listing = await ada.last_message()
    assert listing is not None and any(b.text.startswith("#1 🕒 scheduled") for row in listing.buttons for b in row)
    await ada.tap("#1 ")
    await ada.tap("Cancel sale")
    await ada.tap("Yes, cancel it")  # cancelling asks first (handlers/admin_flash.py)
    assert (await flashsale.get_sale(shop.db, 1)).status == "cancelled"
    await eve.send("/start")
    await eve.send("/flash_cancel 1")
    assert "not allowed" in ((await eve.last_message()).text or "")  # type: ignore[union-attr]
    await ada.send("/flash_edit 1 price=1")
    assert "Only a flash sale that has not started" in ((await ada.last_message()).text or "")  # type: ignore[union-attr]


@pytest.mark.timeout(60)
async def test_restart_before_start_still_starts(
    settings: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The sale is scheduled, the bot stops, the start time passes, a new bot process on the same database
    starts the sale (late, within the grace) and the card appears."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}"
    config = EmulatorConfig(flood_limits=True)
    first = await start_stack(settings, database_url=url, emulator_config=config)
    async with strict.checked(first, request):
        await make_product(first.db, "RICE-2", stock=5)
        ada = await first.client.user("Ada", id=ADMIN_ID)
        await ada.send("/start")
        await ada.send("/flash_create sku=RICE-2 price=9.9 stock=2 start=+60s end=+1h")
        sale = (await flashsale.list_sales(first.db))[0]
    # The start time passes while no bot is running: the wall clock moves 61 s on (within the start grace).
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=61), tick=True):
        second = await start_stack(settings, database_url=url, emulator_config=config)
        async with strict.checked(second, request):
            alice = await second.client.user("Alice")
            group = await second.client.group("Street", members=[alice], bot_admin=True)
            del group  # joined after the start: the announcement targets the groups known at start time
            await second.client.wait_for(lambda: _status(second.db, sale.id, "live"), timeout=15)
