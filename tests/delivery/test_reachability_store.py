"""Item 7 in the store and the sender, on SQLite and PostgreSQL: messages for an unreachable user are parked, not
dropped; they go back to the queue when the user is back (oldest first, offers that ran out dropped), and a
user's return racing the sender never strands a message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from bot.app import standard_wiring
from bot.config import Settings
from bot.context import AppContext
from bot.outbox import OutboxSender
from store import notify, reachability, users
from store.db import Database
from store.models import OutboxMessage, User, utcnow
from tests.orders.helpers import make_users
from tests.stubs import stub_bot


async def _statuses(db: Database) -> list[tuple[str, str]]:
    async with db.read() as session:
        rows = await session.execute(select(OutboxMessage.template, OutboxMessage.status).order_by(OutboxMessage.id))
        return [(template, status) for template, status in rows.all()]


async def _queue(db: Database, user_id: int, template: str, **params: Any) -> int:
    async with db.tx() as session:
        row = await notify.notify_user(session, user_id, template, **params)
        assert row is not None
        return row.id


async def _unreachable(db: Database, user_id: int) -> bool:
    async with db.read() as session:
        user = await session.get(User, user_id)
    return user is not None and user.unreachable


async def _drain(sender: OutboxSender) -> None:
    while await sender.drain_once():
        pass


async def test_parked_messages_are_sent_when_the_user_comes_back(any_db: Database, settings: Settings) -> None:
    await make_users(any_db, [21, 22])
    await _queue(any_db, 21, "menu.cart")
    await _queue(any_db, 21, "menu.orders")
    await _queue(any_db, 22, "menu.cart")
    bot, stub = stub_bot()
    stub.blocked.add(21)
    sender = OutboxSender(AppContext(settings=settings, db=any_db, bot=bot, wiring=standard_wiring()))
    await _drain(sender)
    assert await _unreachable(any_db, 21) and reachability.known_unreachable(21)
    assert await _statuses(any_db) == [
        ("menu.cart", "unreachable"),
        ("menu.orders", "unreachable"),
        ("menu.cart", "sent"),
    ]
    assert [p["text"] for p in stub.sent_to(21)] == []

    # While she is away, a new message is parked without a call to Telegram.
    await _queue(any_db, 21, "menu.home")
    await _drain(sender)
    assert (await _statuses(any_db))[-1] == ("menu.home", "unreachable")
    # An offer that ran out while she was away is dropped.
    await _queue(any_db, 21, "menu.catalog", expires_at=(utcnow() - timedelta(minutes=1)).isoformat())
    await _drain(sender)

    stub.blocked.discard(21)
    assert await users.mark_reachable(any_db, 21) == 3
    assert not await _unreachable(any_db, 21) and not reachability.known_unreachable(21)
    await _drain(sender)
    assert [p["text"] for p in stub.sent_to(21)] == ["🛒 Cart", "📦 Orders", "🏠 Menu"]
    assert (await _statuses(any_db))[-1] == ("menu.catalog", "expired")
    assert await users.mark_reachable(any_db, 21) == 0, "nothing twice"


async def test_only_a_private_update_clears_the_mark(any_db: Database) -> None:
    await make_users(any_db, [31])
    await users.mark_unreachable(any_db, 31)
    async with any_db.tx() as session:
        row = await notify.notify_user(session, 31, "menu.cart")
        assert row is not None
        row.status = "unreachable"
    await users.ensure_user(any_db, 31, "Tom", None, None, "en", reachable=False)  # a tap in a group
    assert await _unreachable(any_db, 31) and await _statuses(any_db) == [("menu.cart", "unreachable")]
    await users.ensure_user(any_db, 31, "Tom", None, None, "en", reachable=True)  # a message in private
    assert not await _unreachable(any_db, 31) and await _statuses(any_db) == [("menu.cart", "pending")]


async def test_a_return_racing_the_sender_strands_nothing(any_db: Database) -> None:
    """The sender claimed a row while the user was marked; the user came back before it parked the row: the row
    goes back to the queue instead of into the parked pile nobody requeues."""
    await make_users(any_db, [41])
    await users.mark_unreachable(any_db, 41)
    row_id = await _queue(any_db, 41, "menu.cart")
    await users.mark_reachable(any_db, 41)  # came back between the claim and the park
    assert await reachability.park(any_db, row_id, 41, "user unreachable") is False
    assert await _statuses(any_db) == [("menu.cart", "pending")]

    # A 403 for a send that started before the user's /start does not mark them again.
    attempted_at = utcnow() - timedelta(seconds=5)
    async with any_db.tx() as session:
        await session.execute(update(User).where(User.id == 41).values(last_seen_at=utcnow()))
    assert await reachability.blocked(any_db, row_id, 41, "Forbidden", attempted_at) is False
    assert not await _unreachable(any_db, 41)
    # ...while a 403 after their last visit does.
    assert await reachability.blocked(any_db, row_id, 41, "Forbidden", utcnow() + timedelta(seconds=1)) is True
    assert await _unreachable(any_db, 41) and await _statuses(any_db) == [("menu.cart", "unreachable")]
