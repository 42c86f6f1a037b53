"""Scheduled events fire exactly once (several processes, restarts); the outbox delivers each message once,
paced, and remembers users who blocked the bot."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import standard_wiring
from bot.config import Settings
from bot.context import AppContext
from bot.outbox import OutboxSender
from bot.scheduler import JobContext, Scheduler
from store import notify, outbox_rows, scheduling
from store.db import Database
from store.models import OutboxMessage, ScheduledJob, User, utcnow
from tests.moved_clock import MovedClock
from tests.stubs import stub_bot

FIRED: list[str] = []


@dataclasses.dataclass
class _Signals:
    """Made afresh by each test (an asyncio.Event belongs to one event loop): tests wait for the events they
    expect, not for a number of seconds."""

    target: int = 1
    enough: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)  # FIRED reached `target`
    held_open: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)  # test_held is in its transaction
    release: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)  # test_held may finish


SIG = _Signals()


def _expect(count: int) -> _Signals:
    global SIG
    FIRED.clear()
    SIG = _Signals(target=count)
    return SIG


async def _test_event(job: JobContext, session: AsyncSession) -> None:
    FIRED.append(job.ref)
    await notify.enqueue(session, 1, "errors.generic", user_id=None, missed=job.missed)
    if len(FIRED) >= SIG.target:
        SIG.enough.set()


async def _test_held(job: JobContext, session: AsyncSession) -> None:
    FIRED.append(job.ref)
    await notify.enqueue(session, 1, "errors.generic", user_id=None, missed=job.missed)
    SIG.held_open.set()
    await SIG.release.wait()


async def _test_boom(job: JobContext, session: AsyncSession) -> None:
    raise RuntimeError("boom")


def _ctx(settings: Settings, db: Database) -> AppContext:
    bot, _ = stub_bot()
    standard = standard_wiring()
    jobs = {**standard.jobs, "test_event": _test_event, "test_boom": _test_boom, "test_held": _test_held}
    return AppContext(settings=settings, db=db, bot=bot, wiring=dataclasses.replace(standard, jobs=jobs))


async def _outbox_count(db: Database) -> int:
    async with db.read() as session:
        return int((await session.execute(select(func.count()).select_from(OutboxMessage))).scalar_one())


async def test_event_fires_once_across_two_processes(any_db: Database, settings: Settings) -> None:
    FIRED.clear()
    async with any_db.tx() as session:
        job = await scheduling.schedule(session, "test_event", "once", utcnow() - timedelta(seconds=1))
    first, second = Scheduler(_ctx(settings, any_db)), Scheduler(_ctx(settings, any_db))
    results = await asyncio.gather(*(s.fire(job.id) for s in (first, second, first, second)))
    assert sorted(results) == [False, False, False, True]
    assert FIRED == ["once"]
    assert await _outbox_count(any_db) == 1
    async with any_db.read() as session:
        row = await session.get(ScheduledJob, job.id)
        assert row is not None and row.status == "done"


async def test_restart_arms_pending_events_and_fires_late_ones(db: Database, settings: Settings) -> None:
    _expect(2)
    async with db.tx() as session:
        await scheduling.schedule(session, "test_event", "late", utcnow() - timedelta(hours=2))
        await scheduling.schedule(session, "test_event", "soon", utcnow() + timedelta(milliseconds=300))
        await scheduling.schedule(session, "test_event", "later", utcnow() + timedelta(hours=1))
    scheduler = Scheduler(_ctx(settings, db))
    await scheduler.start()
    try:
        await asyncio.wait_for(SIG.enough.wait(), timeout=10)
    finally:
        await scheduler.stop()  # the second event's transaction may still be open: stop() lets it commit
    assert sorted(FIRED) == ["late", "soon"]
    async with db.read() as session:
        late = await session.execute(select(OutboxMessage.params).order_by(OutboxMessage.id))
        flags = [params["missed"] for params in late.scalars()]
    assert sorted(flags) == [False, True], "the two-hour-late event is reported as missed"


async def test_event_scheduled_after_start_is_armed_on_commit(db: Database, settings: Settings) -> None:
    _expect(1)
    scheduler = Scheduler(_ctx(settings, db))
    await scheduler.start()
    try:
        async with db.tx() as session:
            await scheduling.schedule(session, "test_event", "new", utcnow() + timedelta(milliseconds=100))
        await asyncio.wait_for(SIG.enough.wait(), timeout=10)
    finally:
        await scheduler.stop()
    assert FIRED == ["new"]


async def test_stop_lets_an_event_in_its_transaction_finish_exactly_once(db: Database, settings: Settings) -> None:
    """Shutdown while an event's transaction is open: the event commits (once), it is not cut off or rolled
    back, and no second run of it starts."""
    signals = _expect(1)
    async with db.tx() as session:
        job = await scheduling.schedule(session, "test_held", "held", utcnow() - timedelta(seconds=1))
    scheduler = Scheduler(_ctx(settings, db))
    await scheduler.start()
    await asyncio.wait_for(signals.held_open.wait(), timeout=10)
    stopping = asyncio.create_task(scheduler.stop())
    for _ in range(20):
        await asyncio.sleep(0)  # let stop() run as far as it can on its own
    assert not stopping.done(), "stop() returned while an event was still inside its transaction"
    signals.release.set()
    await asyncio.wait_for(stopping, timeout=10)
    assert FIRED == ["held"]
    assert await _outbox_count(db) == 1
    async with db.read() as session:
        row = await session.get(ScheduledJob, job.id)
        assert row is not None and row.status == "done"
    assert await Scheduler(_ctx(settings, db)).fire(job.id) is False, "a done event never runs again"


async def test_failing_event_is_marked_failed_and_rolled_back(db: Database, settings: Settings) -> None:
    async with db.tx() as session:
        job = await scheduling.schedule(session, "test_boom", "x", utcnow())
    assert await Scheduler(_ctx(settings, db)).fire(job.id) is False
    async with db.read() as session:
        row = await session.get(ScheduledJob, job.id)
        assert row is not None and row.status == "failed" and "boom" in (row.error or "")


async def test_cancelled_event_never_fires(db: Database, settings: Settings) -> None:
    FIRED.clear()
    async with db.tx() as session:
        job = await scheduling.schedule(session, "test_event", "cancel-me", utcnow())
        assert await scheduling.cancel(session, job.key)
    assert await Scheduler(_ctx(settings, db)).fire(job.id) is False
    assert FIRED == []


async def _add_user(db: Database, user_id: int, language: str) -> None:
    async with db.tx() as session:
        session.add(User(id=user_id, first_name="U", language=language))


async def test_outbox_sends_once_in_the_users_language(db: Database, settings: Settings) -> None:
    await _add_user(db, 11, "zh")
    await _add_user(db, 12, "en")
    async with db.tx() as session:
        await notify.notify_user(session, 11, "language.changed")
        await notify.notify_user(session, 12, "language.changed")
        assert await notify.enqueue(session, 12, "menu.cart", dedupe_key="k1") is not None
        assert await notify.enqueue(session, 12, "menu.cart", dedupe_key="k1") is None
    bot, stub = stub_bot()
    sender = OutboxSender(AppContext(settings=settings, db=db, bot=bot, wiring=standard_wiring()))
    while await sender.drain_once():
        pass
    assert [p["text"] for p in stub.sent_to(11)] == ["语言已设置为中文。"]
    assert [p["text"] for p in stub.sent_to(12)] == ["Language set to English.", "🛒 Cart"]
    assert await sender.drain_once() is False, "nothing is sent twice"
    assert await outbox_rows.pending_count(db) == 0


async def test_outbox_marks_blocked_users_unreachable(db: Database, settings: Settings) -> None:
    await _add_user(db, 21, "en")
    async with db.tx() as session:
        await notify.notify_user(session, 21, "menu.cart")
        await notify.notify_user(session, 21, "menu.orders")
    bot, stub = stub_bot()
    stub.blocked.add(21)
    sender = OutboxSender(AppContext(settings=settings, db=db, bot=bot, wiring=standard_wiring()))
    while await sender.drain_once():
        pass
    async with db.read() as session:
        user = await session.get(User, 21)
        statuses = (await session.execute(select(OutboxMessage.status))).scalars().all()
    assert user is not None and user.unreachable
    assert list(statuses) == ["unreachable", "unreachable"]
    assert stub.sent == [], "no retry storm against a user who blocked the bot"


async def test_outbox_retries_after_flood_limit(db: Database, settings: Settings) -> None:
    await _add_user(db, 31, "en")
    async with db.tx() as session:
        await notify.notify_user(session, 31, "menu.cart")
    bot, stub = stub_bot()
    stub.retry_after_once[31] = 8
    clock = MovedClock()
    context = AppContext(settings=settings, db=db, bot=bot, wiring=standard_wiring())
    sender = OutboxSender(context, now=clock.now, clock=clock.monotonic, sleep=clock.sleep)
    await sender.drain_once()
    assert stub.sent_to(31) == []
    assert clock.slept == [5], "the sender backs off (at most 5 s) after a 429"
    assert not await sender.drain_once(), "a 429 row is not retried before retry_after has passed"
    clock.advance(3.5)
    while await sender.drain_once():
        pass
    assert [p["text"] for p in stub.sent_to(31)] == ["🛒 Cart"]


async def test_outbox_paces_messages_to_one_chat(db: Database, settings: Settings) -> None:
    await _add_user(db, 41, "en")
    async with db.tx() as session:
        for _ in range(3):
            await notify.notify_user(session, 41, "menu.cart")
    bot, stub = stub_bot()
    clock = MovedClock()
    sent_at: list[float] = []
    real_send = stub.make_request

    async def timed(bot: Any, method: Any, timeout: int | None = None) -> Any:
        sent_at.append(clock.monotonic())
        return await real_send(bot, method, timeout)

    stub.make_request = timed  # type: ignore[method-assign]
    context = AppContext(settings=settings, db=db, bot=bot, wiring=standard_wiring())
    sender = OutboxSender(context, now=clock.now, clock=clock.monotonic, sleep=clock.sleep)
    while await sender.drain_once():
        pass
    # Telegram allows about one message per second in one chat: three messages take at least two seconds.
    assert len(sent_at) == 3
    assert all(later - earlier >= 1.0 for earlier, later in itertools.pairwise(sent_at)), sent_at


def test_every_database_carries_the_feature_hooks() -> None:
    """Any entry point that opens a Database (the bot, the CLI, a script) gets every feature's order hooks and
    discount providers: an order cannot expire without returning group-buy or flash-sale stock."""
    from store.db import Database

    rules = Database("sqlite+aiosqlite:///:memory:").rules
    paid = {hook.__module__ for hook in rules.order_hooks["paid"]}
    expired = {hook.__module__ for hook in rules.order_hooks["expired"]}
    assert {"store.growth.rewards", "store.delivery", "store.groupbuy.hooks", "store.flashsale.hooks"} <= paid
    assert {"store.groupbuy.hooks", "store.growth.rewards", "store.flashsale.hooks"} <= expired
    assert [p.__name__ for p in rules.pricing] == ["coupon_discount", "tier_discount", "points_discount"]
