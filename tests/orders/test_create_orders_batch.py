"""`orders.create_orders` (a flash sale's batch of winners) writes what `create_order` writes, one by one:
the order, its items, its first event and its expiry event; the batch's messages are the rows `notify_user`
queues (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from store import notify, orders, scheduling
from store.db import Database
from store.errors import DomainError
from store.models import Order, OrderEvent, OrderItem, OutboxMessage, ScheduledJob, utcnow
from tests.orders.helpers import CONTACT, make_product, make_users

_SKIP = {"id", "order_id", "created_at", "updated_at", "at", "not_before", "run_at"}


def _columns(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns if c.key not in _SKIP}


async def _written(db: Database, order_id: int) -> dict[str, Any]:
    async with db.read() as session:
        order = await session.get(Order, order_id)
        items = (await session.scalars(select(OrderItem).where(OrderItem.order_id == order_id))).all()
        events = (await session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id))).all()
        job = (
            await session.scalars(select(ScheduledJob).where(ScheduledJob.key == orders.expiry_key(order_id)))
        ).one_or_none()
    assert order is not None
    return {
        "order": {k: v for k, v in _columns(order).items() if k not in ("user_id", "pickup_code")},
        "items": [_columns(i) for i in items],
        "events": [_columns(e) for e in events],
        "expiry": None if job is None else (job.kind, job.ref == str(order_id), job.status, job.run_at),
    }


async def test_a_batch_writes_what_single_orders_write(any_db: Database) -> None:
    product = await make_product(any_db, "TEA-1", price=2500, stock=10)
    await make_users(any_db, [1, 2, 3])
    expires = (utcnow() + timedelta(minutes=15)).replace(microsecond=0)
    line = orders.OrderLine(product, "TEA-1", "Tea", "茶", 1900, 1)
    common: dict[str, Any] = {
        "currency": "USD",
        "payment_method": "card",
        "delivery_method": "delivery",
        "source": "flash",
        "source_ref": 7,
        "expires_at": expires,
        "contact": CONTACT,
    }
    async with any_db.tx() as session:
        single = await orders.create_order(session, 1, [line], **common)
        batch = await orders.create_orders(
            session, [orders.NewOrder(2, [line], **common), orders.NewOrder(3, [line, line], **common)]
        )
        single_id, batch_ids = single.id, [o.id for o in batch]
    assert [o.user_id for o in batch] == [2, 3]  # in the order asked for
    one = await _written(any_db, single_id)
    two = await _written(any_db, batch_ids[0])
    assert two == one
    assert one["expiry"] is not None and one["expiry"][0] == "order_expiry" and one["expiry"][2] == "pending"
    three = await _written(any_db, batch_ids[1])
    assert len(three["items"]) == 2
    assert three["order"]["subtotal"] == 2 * 1900 and three["order"]["total"] == 2 * 1900


async def test_a_batch_obeys_the_rules_of_a_new_order(any_db: Database) -> None:
    await make_users(any_db, [1])
    with pytest.raises(DomainError):
        async with any_db.tx() as session:
            await orders.create_orders(
                session, [orders.NewOrder(1, [], currency="USD", payment_method="card", delivery_method="delivery")]
            )
    async with any_db.read() as session:
        assert (await session.scalars(select(Order))).all() == []


async def test_scheduling_many_moves_an_event_that_exists(any_db: Database) -> None:
    later = (utcnow() + timedelta(hours=2)).replace(microsecond=0)
    async with any_db.tx() as session:
        await scheduling.schedule(session, "order_expiry", 41, utcnow(), key="order_expiry:41")
    async with any_db.tx() as session:
        await scheduling.schedule_many(session, "order_expiry", [(41, later, "order_expiry:41"), (42, later, "k42")])
        remembered = [job.key for job in session.info[scheduling.SESSION_KEY]]
    assert remembered == ["order_expiry:41", "k42"]  # armed by the scheduler after the commit
    async with any_db.read() as session:
        jobs = {j.key: j for j in (await session.scalars(select(ScheduledJob))).all()}
    assert set(jobs) == {"order_expiry:41", "k42"}
    assert all(j.run_at == later and j.status == "pending" for j in jobs.values())


async def test_queued_messages_match_notify_user(any_db: Database) -> None:
    await make_users(any_db, [1, 2])
    async with any_db.tx() as session:
        await notify.notify_user(session, 1, "flash.won", order_id=5, price=100)
        await notify.enqueue_many(session, [(2, "flash.won", {"order_id": 5, "price": 100})])
        assert session.info[notify.SESSION_KEY] is True
    async with any_db.read() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    first, second = ({k: v for k, v in _columns(r).items() if k not in ("chat_id", "user_id")} for r in rows)
    assert first == second
    assert [(r.chat_id, r.user_id) for r in rows] == [(1, 1), (2, 2)]
