"""An outside tester's group-buy findings, as rules against the store (SQLite and PostgreSQL): no buy promises
more units than the stock, a sold-out buy says so, digital products need no delivery, the leader is told the
result, the tiers shown start at the minimum."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from store import groupbuy
from store.db import Database
from store.errors import DomainError
from store.models import Order, OutboxMessage, Product
from tests.groupbuy.helpers import POLICY, make_product, make_users, publish, stock_of


async def _close(db: Database, buy_id: int) -> groupbuy.CloseOutcome:
    async with db.tx() as session:
        return await groupbuy.close(session, buy_id, POLICY)


async def _leader_notices(db: Database, leader_id: int) -> list[OutboxMessage]:
    async with db.read() as session:
        query = select(OutboxMessage).where(
            OutboxMessage.template == "groupbuy.leader_result", OutboxMessage.chat_id == leader_id
        )
        return list((await session.execute(query)).scalars().all())


async def test_a_buy_never_promises_more_units_than_the_stock(any_db: Database) -> None:
    await make_users(any_db, [1, 11])
    product_id = await make_product(any_db, stock=5)
    tiers = (groupbuy.Tier(2, 9000),)
    # 4 people × up to 2 each could take 8 of the 5 units.
    with pytest.raises(DomainError) as refused:
        await publish(any_db, product_id, minimum=2, maximum=4, per_person=2, tiers=tiers)
    assert refused.value.code == "gb_units_above_stock"
    assert refused.value.params == {"max": 4, "limit": 2, "total": 8, "stock": 5, "fit": 1}
    buy = await publish(any_db, product_id, minimum=2, maximum=2, per_person=2, tiers=tiers)

    # The leader's "more people" cannot bring the promise back above the units the buy can hold.
    await groupbuy.join(any_db, buy.id, 11)
    with pytest.raises(DomainError) as raised:
        await groupbuy.set_maximum(any_db, buy.id, 1, False, 3)
    assert raised.value.code == "gb_units_above_stock"
    with pytest.raises(DomainError) as beyond:
        await groupbuy.set_maximum(any_db, buy.id, 1, False, 7)
    assert beyond.value.code == "gb_max_above_stock"
    assert (await groupbuy.get(any_db, buy.id)).max_participants == 2


async def test_once_every_unit_is_reserved_the_buy_is_sold_out(any_db: Database) -> None:
    await make_users(any_db, [1, 11, 12, 13])
    product_id = await make_product(any_db, stock=3)
    buy = await publish(any_db, product_id, minimum=2, maximum=None, per_person=2)
    await groupbuy.join(any_db, buy.id, 11)
    await groupbuy.set_quantity(any_db, buy.id, 11, 2)
    assert not (await groupbuy.get(any_db, buy.id)).sold_out
    await groupbuy.join(any_db, buy.id, 12)
    assert await stock_of(any_db, product_id) == 0

    view = await groupbuy.get(any_db, buy.id)
    assert view.sold_out and not view.joinable
    result = await groupbuy.join(any_db, buy.id, 13)
    assert result.status == "sold_out" and result.group_buy.joined == 2

    # Someone taking fewer frees a place again.
    await groupbuy.set_quantity(any_db, buy.id, 11, 1)
    assert (await groupbuy.get(any_db, buy.id)).joinable


async def test_a_digital_product_is_handed_over_in_the_chat(any_db: Database) -> None:
    await make_users(any_db, [1, 11, 12])
    product_id = await make_product(any_db, stock=10, sku="GB-VIP")
    buy = await publish(any_db, product_id, minimum=2, tiers=(groupbuy.Tier(2, 9000),))
    # A new group buy of a digital product is refused (Stars only); one opened before its product became
    # digital still runs, and hands it over in the chat.
    async with any_db.tx() as session:
        await session.execute(update(Product).where(Product.id == product_id).values(is_digital=True))
    for uid in (11, 12):
        await groupbuy.join(any_db, buy.id, uid)
    with pytest.raises(DomainError) as refused:
        await groupbuy.set_delivery(any_db, buy.id, 11, "delivery", None, POLICY)
    assert refused.value.code == "gb_digital_no_delivery"

    _, people = await groupbuy.leader_detail(any_db, buy.id, 1, False)
    buy = await groupbuy.get(any_db, buy.id)  # as it is now: of a digital product
    assert [groupbuy.receive_of(buy, person) for person in people] == ["digital", "digital"]
    _, content = await groupbuy.pickup_csv(any_db, buy.id, 1, False)
    assert content.decode("utf-8-sig").count(",digital,") == 2

    assert (await _close(any_db, buy.id)).status == "succeeded"
    async with any_db.read() as session:
        made = (await session.execute(select(Order).order_by(Order.id))).scalars().all()
    assert [(o.delivery_method, o.delivery_fee, o.pickup_point) for o in made] == [("digital", 0, None)] * 2


async def test_the_leader_is_told_how_the_buy_ended_once(any_db: Database) -> None:
    await make_users(any_db, [1, 2, 11, 12, 13])
    product_id = await make_product(any_db, stock=20, sku="GB-A")
    won = await publish(any_db, product_id, minimum=2)
    for uid in (11, 12, 13):
        await groupbuy.join(any_db, won.id, uid)
    await groupbuy.set_quantity(any_db, won.id, 12, 2)
    assert (await _close(any_db, won.id)).status == "succeeded"
    assert (await _close(any_db, won.id)).status == "noop"
    [told] = await _leader_notices(any_db, 1)
    assert told.params["status"] == "succeeded"
    assert (told.params["joined"], told.params["units"], told.params["unit_price"]) == (3, 4, 9000)
    assert told.params["commission"] == 1800  # 5% of 4 × ¥90.00

    other = await make_product(any_db, stock=20, sku="GB-B")
    lost = await publish(any_db, other, leader_id=2, minimum=3)
    await groupbuy.join(any_db, lost.id, 11)
    assert (await _close(any_db, lost.id)).status == "failed"
    [told] = await _leader_notices(any_db, 2)
    assert (told.params["status"], told.params["joined"], told.params["units"]) == ("failed", 1, 1)


def test_the_tiers_shown_start_at_the_minimum() -> None:
    # A single group price is a tier from 1 person; with a minimum of 2 nobody buys alone.
    assert groupbuy.shown_tiers([groupbuy.Tier(1, 1200)], 2) == [groupbuy.Tier(2, 1200)]
    tiers = [groupbuy.Tier(1, 1300), groupbuy.Tier(3, 1200), groupbuy.Tier(5, 1000)]
    assert groupbuy.shown_tiers(tiers, 3) == [groupbuy.Tier(3, 1200), groupbuy.Tier(5, 1000)]
    assert groupbuy.shown_tiers(tiers, 1) == tiers
