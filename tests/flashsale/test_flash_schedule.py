"""Scheduling: start and end are database events fired exactly once, even by two bot processes at the same
moment, and a start that comes too late after a restart marks the sale missed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from bot.app import standard_wiring
from bot.config import Settings
from bot.context import AppContext
from bot.scheduler import Scheduler
from store import flashsale, scheduling
from store.db import Database
from store.errors import DomainError
from store.models import Chat, OutboxMessage, utcnow
from tests.flashsale.helpers import make_product, make_users, product_stock, scheduled_sale
from tests.moved_clock import eventually
from tests.stubs import stub_bot


async def _job(db: Database, key: str) -> int:
    async with db.read() as session:
        return next(j.id for j in await scheduling.pending_jobs(session) if j.key == key)


async def _outbox(db: Database, prefix: str) -> list[tuple[int, str]]:
    async with db.read() as session:
        rows = await session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.template).where(OutboxMessage.dedupe_key.like(f"{prefix}%"))
        )
        return [(int(c), str(t)) for c, t in rows.all()]


async def _group(db: Database, chat_id: int) -> None:
    async with db.tx() as session:
        session.add(Chat(id=chat_id, type="supergroup", title="G", bot_status="administrator"))


def _ctx(settings: Settings, db: Database) -> AppContext:
    bot, _ = stub_bot()
    return AppContext(settings=settings, db=db, bot=bot, wiring=standard_wiring())


async def test_two_processes_fire_start_and_end_once(any_db: Database, settings: Settings) -> None:
    await make_product(any_db)
    await _group(any_db, -1001)
    await _group(any_db, -1002)
    await make_users(any_db, [11, 12, 13], subscribed=True)
    sale = await scheduled_sale(any_db, stock=5, created_by=7)
    other_db = Database(any_db.url)
    try:
        first, second = Scheduler(_ctx(settings, any_db)), Scheduler(_ctx(settings, other_db))
        start_id = await _job(any_db, flashsale.start_key(sale.id))
        fired = await asyncio.gather(first.fire(start_id), second.fire(start_id))
        assert sorted(fired) == [False, True]
        announcements = await _outbox(any_db, f"flash:{sale.id}:")
        assert sorted(c for c, _ in announcements) == [-1002, -1001, 11, 12, 13]  # one each, never twice
        assert (await flashsale.get_sale(any_db, sale.id)).status == "live"

        end_id = await _job(any_db, flashsale.end_key(sale.id))
        fired = await asyncio.gather(first.fire(end_id), second.fire(end_id))
        assert sorted(fired) == [False, True]
        summaries = await _outbox(any_db, f"flashsum:{sale.id}:")
        assert sorted(c for c, _ in summaries) == sorted({*settings.admins, 7})
        ended = await flashsale.get_sale(any_db, sale.id)
        assert ended.status == "ended" and ended.end_reason == "time"
        assert await product_stock(any_db, ended.product_id) == 500  # unsold units went back
    finally:
        await other_db.dispose()


async def test_start_after_the_grace_marks_the_sale_missed(db: Database, settings: Settings) -> None:
    await make_product(db)
    sale = await scheduled_sale(db, stock=10, starts_in=timedelta(minutes=-30), lasts=timedelta(hours=2))
    assert await product_stock(db, sale.product_id) == 490
    scheduler = Scheduler(_ctx(settings, db))
    assert await scheduler.fire(await _job(db, flashsale.start_key(sale.id)))
    missed = await flashsale.get_sale(db, sale.id)
    assert missed.status == "missed"
    assert await product_stock(db, sale.product_id) == 500
    assert await _outbox(db, f"flash:{sale.id}:") == []
    assert {t for _, t in await _outbox(db, f"flashmissed:{sale.id}:")} == {flashsale.MISSED_TEMPLATE}
    async with db.read() as session:
        pending = [j.key for j in await scheduling.pending_jobs(session)]
    assert flashsale.end_key(sale.id) not in pending


async def test_late_start_within_grace_still_starts(db: Database, settings: Settings) -> None:
    await make_product(db)
    sale = await scheduled_sale(db, stock=10, starts_in=timedelta(seconds=-20))
    assert await Scheduler(_ctx(settings, db)).fire(await _job(db, flashsale.start_key(sale.id)))
    assert (await flashsale.get_sale(db, sale.id)).status == "live"


async def test_scheduler_arms_pending_start_at_startup(db: Database, settings: Settings) -> None:
    """A restart: a new Scheduler over the same database arms the start from its row and fires it."""
    await make_product(db)
    sale = await scheduled_sale(db, stock=3, starts_in=timedelta(hours=1))
    scheduler = Scheduler(_ctx(settings, db))
    await scheduler.start()

    async def live() -> bool:
        return (await flashsale.get_sale(db, sale.id)).status == "live"

    try:
        assert scheduler.aps.get_job(f"job:{(await _job(db, flashsale.start_key(sale.id)))}") is not None
        assert not await live()
        # The hour passes (the wall clock APScheduler and the start rule read); the armed job is now due.
        with time_machine.travel(datetime.now(UTC) + timedelta(hours=1, seconds=1), tick=True):
            scheduler.aps.wakeup()
            await eventually(live)
    finally:
        await scheduler.stop()


async def test_edit_and_cancel_before_start(db: Database) -> None:
    product_id = await make_product(db)
    sale = await scheduled_sale(db, stock=10)
    assert await product_stock(db, product_id) == 490
    edited = await flashsale.edit_sale(
        db,
        sale.id,
        flashsale.SaleEdit(stock=25, price=990, starts_at=sale.starts_at + timedelta(minutes=5)),
        actor_id=None,
    )
    assert (edited.stock, edited.price) == (25, 990)
    assert await product_stock(db, product_id) == 475
    async with db.read() as session:
        jobs = {j.key: j.run_at for j in await scheduling.pending_jobs(session)}
    assert jobs[flashsale.start_key(sale.id)] == edited.starts_at
    with pytest.raises(DomainError) as too_many:
        await flashsale.edit_sale(db, sale.id, flashsale.SaleEdit(stock=10_000), actor_id=None)
    assert too_many.value.code == "flash_not_enough_stock"
    cancelled = await flashsale.cancel_sale(db, sale.id, actor_id=None)
    assert cancelled.status == "cancelled"
    assert await product_stock(db, product_id) == 500
    with pytest.raises(DomainError):
        await flashsale.edit_sale(db, sale.id, flashsale.SaleEdit(price=1), actor_id=None)
    async with db.read() as session:
        pending = [j.key for j in await scheduling.pending_jobs(session)]
    assert not [k for k in pending if k.endswith(f":{sale.id}") and k.startswith("flash_")]


async def test_create_validates(db: Database) -> None:
    await make_product(db, stock=5)
    now = utcnow()
    bad = [
        flashsale.SaleSpec("NOPE", 100, 1, now, now + timedelta(hours=1)),
        flashsale.SaleSpec("FLASH-1", 100, 6, now, now + timedelta(hours=1)),  # more than in stock
        flashsale.SaleSpec("FLASH-1", 100, 1, now, now - timedelta(hours=1)),
        flashsale.SaleSpec("FLASH-1", 100, 0, now, now + timedelta(hours=1)),
        flashsale.SaleSpec("FLASH-1", 100, 1, now, now + timedelta(hours=1), per_user_limit=0),
    ]
    codes = []
    for spec in bad:
        with pytest.raises(DomainError) as exc:
            await flashsale.create_sale(db, spec, actor_id=None)
        codes.append(exc.value.code)
    assert codes == [
        "flash_unknown_sku",
        "flash_not_enough_stock",
        "flash_end_before_start",
        "flash_bad_stock",
        "flash_bad_limit",
    ]
    async with db.read() as session:
        assert (await session.execute(select(func.count()).select_from(OutboxMessage))).scalar_one() == 0


def test_parse_time_and_groups() -> None:
    now = utcnow().replace(microsecond=0)
    assert flashsale.parse_time("+10m", now, "Asia/Shanghai") == now + timedelta(minutes=10)
    assert flashsale.parse_time("1h30m", now, "Asia/Shanghai") == now + timedelta(hours=1, minutes=30)
    assert flashsale.parse_time("now", now, "UTC") == now
    local = flashsale.parse_time("2026-12-01 20:00", now, "Asia/Shanghai")
    assert (local.hour, local.minute) == (12, 0)
    assert flashsale.parse_time("2026-12-01T20:00+00:00", now, "Asia/Shanghai").hour == 20
    with pytest.raises(DomainError):
        flashsale.parse_time("tomorrow-ish", now, "UTC")
    assert flashsale.parse_groups("all") is None
    assert flashsale.parse_groups("-100, -200") == (-100, -200)
    with pytest.raises(DomainError):
        flashsale.parse_groups("abc")
