"""A notice (an order's status, a group buy's end, a broadcast) is sent in the language the shopper's conversation
is in now: the one they wrote in within the conversation window, unless they chose one with /language, as the
replies around it are (store.users.current_language). The outside tester got "↩️ Order #7 has been refunded." in
English a minute after writing in Chinese, between Chinese replies. Store level on SQLite and PostgreSQL; end to
end through the emulator."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from store import notify, orders, outbox_rows, users
from store.db import Database
from store.models import Order, utcnow
from tests.orders.helpers import make_users
from tests.orders.test_checkout_e2e import _shopper_with_tea
from tests.payments_inbox.helpers import wait_bot_says


async def _queued_language(db: Database, user_id: int) -> str:
    async with db.tx() as session:
        await notify.enqueue(session, user_id, "orders.status_changed", user_id=user_id, order_id=1, status="shipped")
    (row,) = [r for r in await outbox_rows.claim_due(db, 50) if r.user_id == user_id]
    return row.language


async def test_a_notice_follows_the_conversation_language_while_it_lasts(any_db: Database) -> None:
    await make_users(any_db, [1, 2, 3, 4])  # all with English as their app's language
    now = utcnow()
    await users.set_conversation_language(any_db, 1, "zh", now=now)  # wrote in Chinese just now
    await users.set_conversation_language(any_db, 2, "zh", now=now - users.CONVERSATION_WINDOW - timedelta(minutes=1))
    await users.set_language(any_db, 3, "en")  # chose English with /language: it always wins
    await users.set_conversation_language(any_db, 3, "zh", now=now)
    assert await _queued_language(any_db, 1) == "zh"
    assert await _queued_language(any_db, 2) == "en", "the window is over"
    assert await _queued_language(any_db, 3) == "en"
    assert await _queued_language(any_db, 4) == "en"


async def test_a_status_notice_after_a_chinese_message_comes_in_chinese(shop: Any) -> None:
    alice, _tea = await _shopper_with_tea(shop, 1)  # Telegram language English
    await alice.send("/checkout")
    await alice.tap("Pick up: Central Store")
    await alice.tap("by card")
    assert (await alice.pay())["status"] == "paid"
    await alice.send("盒子破了，茶叶洒了")  # the conversation is in Chinese now
    async with shop.db.read() as session:
        order_id = (await session.execute(select(Order.id))).scalar_one()
    await orders.admin_transition(shop.db, order_id, orders.DELIVERED, 1)
    notice = await wait_bot_says(shop.client, alice, f"订单 #{order_id}")
    assert "picked up" not in (notice.text or "")
