"""The admission gate's answers from memory, units coming back, and a tap delivered twice."""

from __future__ import annotations

from datetime import timedelta

from aiogram.types import Update

from benchmarks._stub import StubSession
from benchmarks._stub import stub_bot as bench_bot
from bot.admission import FlashAdmission
from bot.app import create_app
from bot.callbacks.flashsale import FlashBuyCB
from bot.config import Settings
from store import flashsale, orders
from store.db import Database
from tests.flashsale.helpers import live_sale, make_product, make_users, product_stock, scheduled_sale

WINDOW = timedelta(minutes=5)


async def test_not_started_ended_and_returned_units(db: Database) -> None:
    product_id = await make_product(db)
    await make_users(db, [1, 2, 3])
    gate = FlashAdmission(db, payment_window=WINDOW, refresh_seconds=0)
    later = await scheduled_sale(db, "FLASH-1", stock=2, starts_in=timedelta(hours=2))  # after the live one
    assert (await gate.tap(later.id, 1)).outcome == "not_started"

    sale = await live_sale(db, "FLASH-1", stock=1)
    first = await gate.tap(sale.id, 1)
    assert first.outcome == "won" and first.order_id is not None
    assert (await gate.tap(sale.id, 2)).outcome == "sold_out"
    # User 1 does not pay: the order expires, the unit is back and the gate sees it at once (after-commit).
    async with db.tx() as session:
        await orders.transition(session, first.order_id, orders.EXPIRED, "system", from_statuses=orders.UNPAID)
    assert (await flashsale.get_sale(db, sale.id)).returned == 1
    second = await gate.tap(sale.id, 2)
    assert second.outcome == "won"
    assert (await gate.tap(sale.id, 1)).outcome == "limit"  # an expired claim still counts
    # The sale ends; user 2's order expires afterwards: the unit goes back to the product, not the pool.
    async with db.tx() as session:
        assert await flashsale.end_sale(session, sale.id)
    assert (await gate.tap(sale.id, 3)).outcome == "ended"
    before = await product_stock(db, product_id)
    assert second.order_id is not None
    async with db.tx() as session:
        await orders.transition(session, second.order_id, orders.CANCELLED, "system", from_statuses=orders.UNPAID)
    assert await product_stock(db, product_id) == before + 1


async def test_other_process_return_is_seen_after_refresh(db: Database) -> None:
    await make_product(db)
    await make_users(db, [1, 2])
    sale = await live_sale(db, stock=1)
    here = FlashAdmission(db, payment_window=WINDOW, refresh_seconds=0)
    other_db = Database(db.url)
    try:
        there = FlashAdmission(other_db, payment_window=WINDOW)
        won = await there.tap(sale.id, 1)
        assert won.outcome == "won" and won.order_id is not None
        assert (await here.tap(sale.id, 2)).outcome == "sold_out"
        async with other_db.tx() as session:
            await orders.transition(session, won.order_id, orders.EXPIRED, "system", from_statuses=orders.UNPAID)
        # `here` did not see that commit: its next sold-out answer triggers a re-read, the one after wins.
        assert (await here.tap(sale.id, 2)).outcome == "sold_out"
        for _ in range(50):
            result = await here.tap(sale.id, 2)
            if result.outcome == "won":
                break
            import asyncio

            await asyncio.sleep(0.02)
        assert result.outcome == "won"
    finally:
        await other_db.dispose()


def _tap(update_id: int, user_id: int, sale_id: int) -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "callback_query": {
                "id": f"q{update_id}",
                "from": {"id": user_id, "is_bot": False, "first_name": "U"},
                "chat_instance": "x",
                "data": FlashBuyCB(sale_id=sale_id).pack(),
                "message": {"message_id": 1, "date": 0, "chat": {"id": -5, "type": "group", "title": "G"}, "text": "c"},
            },
        }
    )


async def test_tap_delivered_twice_counts_once(db: Database, settings: Settings) -> None:
    """Through the real dispatcher: the same update twice is handled once; a double tap gets "limit"."""
    await make_product(db)
    sale = await live_sale(db, stock=5)
    bot, session = bench_bot()
    answers: list[str | None] = []
    assert isinstance(session, StubSession)
    session.on_answer = lambda _qid, text: answers.append(text)
    app = await create_app(settings, "123456:TEST", db=db, migrate=False, bot=bot)
    await app.dp.feed_update(bot, _tap(1, 42, sale.id))
    await app.dp.feed_update(bot, _tap(1, 42, sale.id))  # re-delivered
    await app.dp.feed_update(bot, _tap(2, 42, sale.id))  # a double tap
    assert len(answers) == 2
    assert answers[0] is not None and "You got one" in answers[0]
    assert answers[1] is not None and "You already have one" in answers[1]
    assert len(await flashsale.claims_of(db, sale.id)) == 1
    await app.dp.storage.close()
