"""Outside tester, 2026-12-07, at the store (SQLite and PostgreSQL): what a participant of a buy without a pickup
point receives is a delivery, whether or not they chose it (their row keeps the default "pickup"), on the leader's
list and its CSV; a buy with a pickup point keeps "pickup". A participant's view carries the order's delivery fee,
which the panel shows as its own line."""

from __future__ import annotations

import csv
import io

from store import groupbuy
from store.db import Database
from tests.groupbuy.helpers import POLICY, make_product, make_users, publish


async def _joined(db: Database, sku: str, pickup: str | None) -> groupbuy.GroupBuyView:
    product = await make_product(db, stock=10, price=3000, sku=sku)
    buy = await publish(db, product, minimum=1, pickup=pickup, tiers=(groupbuy.Tier(1, 2500),))
    assert (await groupbuy.join(db, buy.id, 11)).status == "joined"
    return buy


async def _receive(db: Database, buy: groupbuy.GroupBuyView) -> tuple[str, str]:
    """What the leader's screen and the CSV say participant 11 receives."""
    line, [person] = await groupbuy.leader_detail(db, buy.id, 1, False)
    _, content = await groupbuy.pickup_csv(db, buy.id, 1, False)
    [row] = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    return groupbuy.receive_of(line.group_buy, person), row["receive"]


async def test_a_buy_without_a_pickup_point_lists_delivery(any_db: Database) -> None:
    await make_users(any_db, [1, 11])
    only_delivers = await _joined(any_db, "GB-D", None)
    assert await _receive(any_db, only_delivers) == ("delivery", "delivery")
    with_point = await _joined(any_db, "GB-P", "central")
    assert await _receive(any_db, with_point) == ("pickup", "pickup")

    async with any_db.tx() as session:
        outcome = await groupbuy.close(session, only_delivers.id, POLICY)
    assert outcome.status == groupbuy.SUCCEEDED
    person = await groupbuy.participant(any_db, only_delivers.id, 11)
    assert person is not None and person.order_total is not None
    assert person.order_delivery_fee == POLICY.delivery.fee and person.order_total == 2500 + POLICY.delivery.fee
    assert await _receive(any_db, only_delivers) == ("delivery", "delivery"), "and the order made is a delivery"
