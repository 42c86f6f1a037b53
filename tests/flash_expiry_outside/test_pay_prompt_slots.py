"""The delivery or pick-up choices a winner was sent for one order are kept under a few exact outbox keys (so the
unit's return finds them through the unique index): openings beyond those slots, or two at once, never fail, and
the return edits each kept one exactly once. Store level, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from store import flashsale, orders
from store.db import Database
from store.flashsale.pay_messages import gone_key
from store.flashsale.rules import PAY_PROMPT_TEMPLATE, PAY_PROMPTS_KEPT, pay_prompt_keys
from store.models import OutboxMessage
from tests.flashsale.helpers import live_sale, make_product, make_users


async def test_prompts_fill_their_slots_and_the_return_edits_each_once(any_db: Database) -> None:
    await make_product(any_db, "RICE-9", stock=5)
    await make_users(any_db, [51])
    sale = await live_sale(any_db, "RICE-9", stock=5)
    batch = await flashsale.commit_claims(
        any_db, sale.id, [flashsale.ClaimRequest(51, 1)], payment_window=timedelta(minutes=5)
    )
    order_id = batch.results[0].order_id
    assert order_id is not None
    params = {"subtotal": 990, "currency": "CNY"}
    # Two openings at once, then more than there are slots: none fails.
    await asyncio.gather(*(flashsale.record_pay_prompt(any_db, 51, order_id, 100 + n, params) for n in range(2)))
    for n in range(2, PAY_PROMPTS_KEPT + 2):
        await flashsale.record_pay_prompt(any_db, 51, order_id, 100 + n, params)
    async with any_db.read() as session:
        kept = (
            await session.execute(
                select(OutboxMessage.dedupe_key, OutboxMessage.message_id).where(
                    OutboxMessage.template == PAY_PROMPT_TEMPLATE
                )
            )
        ).all()
    assert sorted(key for key, _ in kept) == sorted(pay_prompt_keys(order_id))
    assert len({message_id for _, message_id in kept}) == PAY_PROMPTS_KEPT

    async with any_db.tx() as session:
        await orders.transition(session, order_id, orders.EXPIRED, "system", from_statuses=orders.UNPAID)
    async with any_db.read() as session:
        rows = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("flashgone:%")))
        ).scalars()
        edits = {row.params["edit_message_id"] for row in rows}
        ids = {
            row.id
            for row in (
                await session.execute(select(OutboxMessage).where(OutboxMessage.template == PAY_PROMPT_TEMPLATE))
            ).scalars()
        }
        gone = set(
            (
                await session.execute(
                    select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like("flashgone:%"))
                )
            )
            .scalars()
            .all()
        )
    assert {message_id for _, message_id in kept} <= edits, "every kept prompt loses its buttons"
    assert {gone_key(i) for i in ids} <= gone
