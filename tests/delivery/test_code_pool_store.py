"""One code per unit, on SQLite and PostgreSQL: a `code` product lists its codes one a line, every unit paid for
takes its own (an order of 3 gets 3 distinct codes, and "Send again" sends those same 3), buyers paying at the same
moment never share a code, and codes running out is a sold-out: refused at pre-checkout, and a payment that
arrives anyway is refunded with its order cancelled, never handed someone else's code."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from store import delivery, orders, payments
from store.db import Database
from store.errors import DomainError
from store.models import Order, OutboxMessage, Payment
from store.models.orders import DigitalCode
from tests.delivery.test_delivery_store import _digital, _pay, _rows, _stars_order
from tests.orders.helpers import make_users, stock_of

CODES = [f"GIFT-{n:04d}" for n in range(1, 13)]


async def _codes_of(db: Database, order_id: int) -> list[str]:
    rows = await _rows(db, delivery.GOODS_TEMPLATE)
    (row,) = [r for r in rows if r.params["order_id"] == order_id and not r.params["again"]]
    return list(row.params["codes"])


async def test_an_order_of_three_gets_three_distinct_codes_and_a_resend_sends_the_same(any_db: Database) -> None:
    await make_users(any_db, [1, 2])
    gift = await _digital(any_db, "GIFT", "code", "\n".join(CODES), stars=30)
    placed = await _stars_order(any_db, 1, {gift: 3})
    assert (await _pay(any_db, 1, placed.order_id, 90, "stx-1")).kind == "paid"

    codes = await _codes_of(any_db, placed.order_id)
    assert codes == CODES[:3], "three units, three codes, taken in the catalog's order"
    (row,) = await _rows(any_db, delivery.GOODS_TEMPLATE)
    assert row.params["kind"] == "code" and row.params["quantity"] == 3
    assert row.params["content"] == "\n".join(CODES[:3]), "never the catalog's whole list of codes"
    async with any_db.read() as session:
        order = await session.get(Order, placed.order_id)
        assert order is not None and order.status == orders.DELIVERED

    assert await delivery.resend(any_db, placed.order_id, 1) == 1
    again = [r for r in await _rows(any_db, delivery.GOODS_TEMPLATE) if r.params["again"]]
    assert [r.params["codes"] for r in again] == [CODES[:3]], "Send again sends the same three codes"

    second = await _stars_order(any_db, 2, {gift: 2})
    await _pay(any_db, 2, second.order_id, 60, "stx-2")
    assert await _codes_of(any_db, second.order_id) == CODES[3:5], "the next buyer gets the next codes"


async def test_buyers_paying_at_once_never_share_a_code_and_the_last_are_refunded(any_db: Database) -> None:
    buyers = list(range(1, 9))
    await make_users(any_db, buyers)
    gift = await _digital(any_db, "GIFT", "code", "\n".join(CODES[:11]), stars=30)  # stock 100, only 11 codes
    placed = {uid: await _stars_order(any_db, uid, {gift: 2}) for uid in buyers}  # 16 units wanted

    outcomes = await asyncio.gather(*(_pay(any_db, uid, placed[uid].order_id, 60, f"stx-{uid}") for uid in buyers))
    paid = [o for o in outcomes if o.kind == "paid"]
    refunded = [o for o in outcomes if o.kind == "refund"]
    assert (len(paid), len(refunded)) == (5, 3), "11 codes cover 5 orders of 2; the other 3 are sold out"

    async with any_db.read() as session:
        taken = list((await session.execute(select(DigitalCode.code))).scalars())
        statuses = {o.id: o.status for o in (await session.execute(select(Order))).scalars()}
        refunds = list(
            (await session.execute(select(Payment).where(Payment.status == payments.REFUND_PENDING))).scalars()
        )
    assert len(taken) == len(set(taken)) == 10, "no code went to two buyers, none was left half-taken"
    handed = [code for o in paid for code in await _codes_of(any_db, o.order_id or 0)]
    assert sorted(handed) == sorted(taken) and len(set(handed)) == 10
    assert {statuses[o.order_id or 0] for o in paid} == {orders.DELIVERED}
    assert {statuses[o.order_id or 0] for o in refunded} == {orders.CANCELLED}
    assert sorted(p.order_id for p in refunds) == sorted(o.order_id or 0 for o in refunded)
    assert all(o.needs_star_refund for o in refunded), "the bot gives the Stars back at once"
    # One code is left: the card shows 1, so the next shopper is stopped at the card, not refunded.
    assert await stock_of(any_db, gift) == 1
    async with any_db.read() as session:
        notices = (
            await session.execute(
                select(OutboxMessage.user_id).where(OutboxMessage.template == "payments.sold_out_refund_stars")
            )
        ).scalars()
        assert sorted(notices) == sorted(
            uid for uid in buyers if placed[uid].order_id in {o.order_id for o in refunded}
        )


async def test_pre_checkout_refuses_an_order_whose_codes_ran_out(any_db: Database) -> None:
    await make_users(any_db, [1, 2])
    gift = await _digital(any_db, "GIFT", "code", "\n".join(CODES[:3]), stars=30)
    first = await _stars_order(any_db, 1, {gift: 2})
    second = await _stars_order(any_db, 2, {gift: 2})
    payload = payments.invoice_payload(second.order_id)
    assert await payments.check_pre_checkout(any_db, 2, payload, "XTR", 60, query_id="pc-1") == second.order_id
    await _pay(any_db, 1, first.order_id, 60, "stx-1")
    with pytest.raises(DomainError) as refused:
        await payments.check_pre_checkout(any_db, 2, payload, "XTR", 60, query_id="pc-2")
    assert refused.value.code == "payment_codes_sold_out"
