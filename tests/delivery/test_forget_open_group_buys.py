"""/forgetme while the shopper is in a group buy that is still open: a successful buy makes their order from the
participation's contact, so erasing it at once made an order with no address (outside tester). A participation whose
buy is open, or whose order is on its way, keeps its delivery details (as an open order does, store.privacy): the
order made from it carries them and erases them, with the participation's copy, when it is finished; a buy that
fails or is cancelled erases them when it ends. Finished participations are erased at once. SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.i18n import t
from store import groupbuy, orders, privacy, users
from store.db import Database
from store.models import Order
from store.models.groupbuy import GroupBuyParticipant
from tests.groupbuy.helpers import POLICY, make_product, make_users, publish
from tests.orders.helpers import CONTACT
from tests.payments_inbox.helpers import wait_bot_says

LEADER, ALICE, BOB = 1, 11, 12
FULL = (CONTACT.name, CONTACT.phone, CONTACT.address)
GONE = (None, None, None)


async def _buy(db: Database, sku: str, *, with_bob: bool = True) -> int:
    """An open buy (minimum 2) Alice joined with delivery to her address; Bob joins too unless told not to."""
    buy = await publish(db, await make_product(db, sku=sku), minimum=2)
    await groupbuy.join(db, buy.id, ALICE)
    await groupbuy.set_delivery(db, buy.id, ALICE, "delivery", CONTACT, policy=POLICY)
    if with_bob:
        await groupbuy.join(db, buy.id, BOB)
    return buy.id


async def _close(db: Database, buy_id: int) -> groupbuy.CloseOutcome:
    async with db.tx() as session:
        return await groupbuy.close(session, buy_id, POLICY)


async def _part(db: Database, buy_id: int) -> tuple[str | None, str | None, str | None]:
    async with db.read() as session:
        part = (
            await session.execute(
                select(GroupBuyParticipant).where(
                    GroupBuyParticipant.group_buy_id == buy_id, GroupBuyParticipant.user_id == ALICE
                )
            )
        ).scalar_one()
        return part.contact_name, part.phone, part.address


async def _alices_order(db: Database, buy_id: int) -> Order:
    async with db.read() as session:
        return (
            await session.execute(
                select(Order).where(Order.source == groupbuy.SOURCE, Order.source_ref == buy_id, Order.user_id == ALICE)
            )
        ).scalar_one()


async def _move(db: Database, order_id: int, *statuses: str) -> None:
    for status in statuses:
        async with db.tx() as session:
            await orders.transition(session, order_id, status, "admin:1")


async def test_a_buy_that_succeeds_after_forgetme_delivers_then_erases(any_db: Database) -> None:
    await make_users(any_db, [LEADER, ALICE, BOB])
    buy_id = await _buy(any_db, "GB-1")

    erasure = await privacy.forget_user(any_db, ALICE)
    assert await _part(any_db, buy_id) == FULL, "the open buy still needs where to send her parcel"
    assert (erasure.orders_open, erasure.group_buys_open) == (0, 1)
    # She comes back as a customer before the buy ends: she asked while it was open, the promise holds.
    assert await users.back_in_private(any_db, users.NewUser(ALICE, "Alice", None, None, "en"), returning=True)

    outcome = await _close(any_db, buy_id)
    assert outcome.status == groupbuy.SUCCEEDED
    order = await _alices_order(any_db, buy_id)
    assert order.delivery_method == "delivery"
    assert (order.contact_name, order.phone, order.address) == FULL, "the parcel can be delivered"
    assert order.erase_when_finished

    await _move(any_db, order.id, orders.PAID, orders.SHIPPED)
    assert (await _alices_order(any_db, buy_id)).address == CONTACT.address, "a parcel in transit keeps its address"
    await _move(any_db, order.id, orders.DELIVERED)
    order = await _alices_order(any_db, buy_id)
    assert (order.contact_name, order.phone, order.address) == (privacy.ERASED_CONTACT, None, None)
    assert await _part(any_db, buy_id) == GONE


async def test_a_buy_that_fails_or_is_cancelled_erases_when_it_ends(any_db: Database) -> None:
    await make_users(any_db, [LEADER, ALICE, BOB])
    failing = await _buy(any_db, "GB-1", with_bob=False)  # below its minimum of 2
    cancelled = await _buy(any_db, "GB-2")

    erasure = await privacy.forget_user(any_db, ALICE)
    assert await _part(any_db, failing) == FULL and await _part(any_db, cancelled) == FULL
    assert erasure.group_buys_open == 2

    assert (await _close(any_db, failing)).status == groupbuy.FAILED
    assert await _part(any_db, failing) == GONE
    assert await _part(any_db, cancelled) == FULL, "still open"
    await groupbuy.cancel(any_db, cancelled, LEADER, is_admin=False)
    assert await _part(any_db, cancelled) == GONE
    async with any_db.read() as session:
        assert (await session.execute(select(Order).where(Order.user_id == ALICE))).first() is None


async def test_finished_participations_are_erased_at_once_open_ones_kept(any_db: Database) -> None:
    await make_users(any_db, [LEADER, ALICE, BOB])
    delivered = await _buy(any_db, "GB-1")
    failed = await _buy(any_db, "GB-2", with_bob=False)
    on_its_way = await _buy(any_db, "GB-3")
    still_open = await _buy(any_db, "GB-4")
    for buy_id in (delivered, failed, on_its_way):
        await _close(any_db, buy_id)
    await _move(any_db, (await _alices_order(any_db, delivered)).id, orders.PAID, orders.SHIPPED, orders.DELIVERED)
    paid = (await _alices_order(any_db, on_its_way)).id
    await _move(any_db, paid, orders.PAID)

    erasure = await privacy.forget_user(any_db, ALICE)
    # A delivered buy's and a failed buy's participations are erased at once, as before.
    assert await _part(any_db, delivered) == GONE
    assert await _part(any_db, failed) == GONE
    # The paid order and the open buy keep them until they are finished.
    assert await _part(any_db, on_its_way) == FULL
    assert await _part(any_db, still_open) == FULL
    assert (erasure.orders_anonymised, erasure.orders_open, erasure.group_buys_open) == (1, 1, 1)

    await _move(any_db, paid, orders.REFUNDED)
    assert await _part(any_db, on_its_way) == GONE
    order = await _alices_order(any_db, on_its_way)
    assert (order.contact_name, order.phone, order.address) == (privacy.ERASED_CONTACT, None, None)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_forgetme_says_an_open_group_buy_keeps_the_details(shop: Any, lang: str) -> None:
    alice = await shop.client.user("Alice", lang=lang)
    await alice.send("/start")
    await make_users(shop.db, [LEADER])
    buy = await publish(shop.db, await make_product(shop.db, sku="GB-FORGET"), minimum=2)
    await groupbuy.join(shop.db, buy.id, alice.id)
    await groupbuy.set_delivery(shop.db, buy.id, alice.id, "delivery", CONTACT, policy=POLICY)

    await alice.send("/forgetme")
    await alice.tap(t(lang, "privacy.forget_yes"))
    said = await wait_bot_says(shop.client, alice, t(lang, "privacy.open_group_buys_kept", buys=1))
    assert t(lang, "privacy.forgotten_no_orders") in (said.text or "")
    async with shop.db.read() as session:
        part = (
            await session.execute(select(GroupBuyParticipant).where(GroupBuyParticipant.user_id == alice.id))
        ).scalar_one()
    assert (part.contact_name, part.phone, part.address) == FULL
