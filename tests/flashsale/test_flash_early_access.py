"""Tier benefit: members of a tier with early access may buy before a flash sale's public start (gold: 10
minutes in config.yaml); they hear about it first, everyone else at the public start."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.admission import FlashAdmission
from bot.config import Settings
from bot.scheduler import Scheduler
from store import flashsale, scheduling
from store.db import Database
from store.models import utcnow
from tests.flashsale.helpers import make_product, make_users, scheduled_sale
from tests.flashsale.test_flash_schedule import _ctx, _group, _job, _outbox
from tests.tier_delivery.helpers import spent

pytestmark = pytest.mark.early_access


async def _make_gold(db: Database, user_id: int) -> None:
    await spent(db, user_id, 250_000)


async def test_gold_members_buy_first_and_everyone_else_at_the_public_start(db: Database, settings: Settings) -> None:
    await make_product(db)
    await _group(db, -1001)
    await make_users(db, [21, 22], subscribed=True)
    await _make_gold(db, 21)
    later = await scheduled_sale(db, stock=5, starts_in=timedelta(hours=2))  # not overlapping the sale below
    async with db.read() as session:
        start = next(j for j in await scheduling.pending_jobs(session) if j.key == flashsale.start_key(later.id))
    assert start.run_at == later.starts_at - timedelta(minutes=10), "a sale opens at the best tier's head start"

    sale = await scheduled_sale(db, stock=5, starts_in=timedelta(minutes=5))  # inside gold's 10-minute window
    scheduler = Scheduler(_ctx(settings, db))
    assert await scheduler.fire(await _job(db, flashsale.start_key(sale.id)))
    assert (await flashsale.get_sale(db, sale.id)).status == "live"
    assert sorted(c for c, _ in await _outbox(db, f"flash:{sale.id}:")) == [21], "only gold hears first"

    early_gate = FlashAdmission(db, payment_window=timedelta(minutes=5))
    assert (await early_gate.tap(sale.id, 22)).outcome == flashsale.NOT_STARTED
    assert (await early_gate.tap(sale.id, 21)).outcome == flashsale.WON

    assert await scheduler.fire(await _job(db, flashsale.public_key(sale.id)))
    assert sorted(c for c, _ in await _outbox(db, f"flash:{sale.id}:")) == [-1001, 21, 22], "each told once"
    public_gate = FlashAdmission(
        db, payment_window=timedelta(minutes=5), clock=lambda: sale.starts_at + timedelta(seconds=1)
    )
    assert (await public_gate.tap(sale.id, 22)).outcome == flashsale.WON


async def test_a_sale_created_inside_the_early_window_opens_now_not_missed(db: Database, settings: Settings) -> None:
    await make_product(db)
    sale = await scheduled_sale(db, stock=5, starts_in=timedelta(minutes=3))
    async with db.read() as session:
        start = next(j for j in await scheduling.pending_jobs(session) if j.key == flashsale.start_key(sale.id))
    assert start.run_at <= utcnow() < sale.starts_at
    assert await Scheduler(_ctx(settings, db)).fire(start.id)
    assert (await flashsale.get_sale(db, sale.id)).status == "live"
