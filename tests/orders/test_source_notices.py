"""An order's source can word the buyer's notice of a transition (ShopRules.order_notices): the notice is queued
once, in the source's template, with the generic parameters kept; without a maker, or when it declines, the
generic status notice goes out. The source decides before its hooks run, inside the transition's transaction."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from store import checkout, order_hooks, orders
from store.db import Database
from store.models import OutboxMessage
from store.rules import rules_of
from tests.orders.helpers import CONTACT, POLICY, fill_cart, make_product, make_users


async def _placed_order(db: Database, user_id: int) -> int:
    tea = await make_product(db, f"TEA-{user_id}", price=2500, stock=5)
    await make_users(db, [user_id])
    await fill_cart(db, user_id, {tea: 1})
    choice = checkout.CheckoutChoice(
        user_id=user_id, delivery_method="delivery", payment_method="card", contact=CONTACT, expected_total=3300
    )
    return (await checkout.place_order(db, choice, POLICY)).order_id


async def _notices(db: Database, order_id: int) -> list[tuple[str, dict[str, object]]]:
    async with db.read() as session:
        rows = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.dedupe_key.like(f"order:{order_id}:%")))
        ).scalars()
        return [(row.template, dict(row.params or {})) for row in rows]


async def _expire(db: Database, order_id: int) -> None:
    async with db.tx() as session:
        await orders.transition(session, order_id, orders.EXPIRED, "system", from_statuses=orders.UNPAID)


async def test_a_sources_notice_replaces_the_generic_one(db: Database) -> None:
    seen: list[tuple[str | None, str, int]] = []

    async def cart_words(session: object, change: order_hooks.Transition) -> order_hooks.Notice | None:
        seen.append((change.from_status, change.to_status, change.order.id))
        if change.to_status != orders.EXPIRED:
            return None
        return order_hooks.Notice("cart.expired_special", {"hint": "try again"})

    db.use_rules(dataclasses.replace(rules_of(db), order_notices={"cart": cart_words}))
    order_id = await _placed_order(db, 1)
    await _expire(db, order_id)
    [(template, params)] = await _notices(db, order_id)
    assert template == "cart.expired_special"
    assert params["hint"] == "try again" and params["order_id"] == order_id and params["status"] == "expired"
    assert seen == [("pending_payment", "expired", order_id)]


async def test_without_a_maker_or_when_it_declines_the_generic_notice_goes(db: Database) -> None:
    async def declines(session: object, change: order_hooks.Transition) -> order_hooks.Notice | None:
        return None

    first = await _placed_order(db, 1)
    await _expire(db, first)
    db.use_rules(dataclasses.replace(rules_of(db), order_notices={"cart": declines}))
    second = await _placed_order(db, 2)
    await _expire(db, second)
    for order_id in (first, second):
        [(template, params)] = await _notices(db, order_id)
        assert template == orders.STATUS_TEMPLATE and params["status"] == "expired"
