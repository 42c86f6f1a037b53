"""Flash-sale scheduling and display in the store, on SQLite and PostgreSQL: a sale created to start now goes
live (it is not "missed"), the start never announces into the support forum, a live sale's price is what the
catalog and search read, and a winner may choose a pick-up point for the unit before paying."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import standard_wiring
from bot.config import Settings
from bot.context import AppContext
from bot.scheduler import Scheduler
from bot.shop_rules import shop_rules
from store import flashsale, growth, orders, scheduling
from store.db import Database
from store.errors import DomainError
from store.models import Chat, OutboxMessage, utcnow
from store.search import service as search_service
from tests.flashsale.helpers import make_product, make_users
from tests.stubs import stub_bot


@pytest.fixture(autouse=True)
def shop_policy(any_db: Database, settings: Settings) -> None:
    """The shop's own growth policy: its gold tier has 10 minutes of early access, which is what made a sale
    created with start=now look 10 minutes late."""
    any_db.use_rules(shop_rules(settings))
    assert growth.tiers.max_early_access(any_db.rules.growth) > timedelta(0)


def _ctx(settings: Settings, db: Database) -> AppContext:
    bot, _ = stub_bot()
    return AppContext(settings=settings, db=db, bot=bot, wiring=standard_wiring())


async def _job(db: Database, key: str) -> scheduling.JobRef:
    async with db.read() as session:
        return next(j for j in await scheduling.pending_jobs(session) if j.key == key)


async def _group(db: Database, chat_id: int, *, forum: bool = False) -> None:
    async with db.tx() as session:
        session.add(Chat(id=chat_id, type="supergroup", title="G", bot_status="administrator", is_forum=forum))


def _spec(
    sku: str, *, starts_in: timedelta = timedelta(0), lasts: timedelta = timedelta(hours=1)
) -> flashsale.SaleSpec:
    now = utcnow()
    return flashsale.SaleSpec(sku=sku, price=1990, stock=5, starts_at=now + starts_in, ends_at=now + starts_in + lasts)


async def test_a_sale_created_to_start_now_goes_live(any_db: Database, settings: Settings) -> None:
    await make_product(any_db)
    sale = await flashsale.create_sale(any_db, _spec("FLASH-1"), actor_id=None)
    job = await _job(any_db, flashsale.start_key(sale.id))
    # The start event is due now, not at "now less the early access", which the scheduler would count as late.
    assert job.run_at >= sale.starts_at - timedelta(seconds=1)
    assert await Scheduler(_ctx(settings, any_db)).fire(job.id)
    assert (await flashsale.get_sale(any_db, sale.id)).status == flashsale.LIVE


async def test_a_start_already_past_at_creation_opens_now(any_db: Database, settings: Settings) -> None:
    """`start=20:00` typed at 20:03: the admin means "start it", not "it was missed"."""
    await make_product(any_db)
    sale = await flashsale.create_sale(any_db, _spec("FLASH-1", starts_in=timedelta(minutes=-3)), actor_id=None)
    assert await Scheduler(_ctx(settings, any_db)).fire((await _job(any_db, flashsale.start_key(sale.id))).id)
    assert (await flashsale.get_sale(any_db, sale.id)).status == flashsale.LIVE


async def test_the_start_never_announces_into_the_support_forum(any_db: Database, settings: Settings) -> None:
    await make_product(any_db)
    await _group(any_db, -1001)
    await _group(any_db, -1999, forum=True)
    await make_users(any_db, [11], subscribed=True)
    settings.support.chat_id = -1999
    sale = await flashsale.create_sale(any_db, _spec("FLASH-1", starts_in=timedelta(minutes=30)), actor_id=None)
    scheduler = Scheduler(_ctx(settings, any_db))
    # Early access for the best tier first, then the public start with the group cards.
    assert await scheduler.fire((await _job(any_db, flashsale.start_key(sale.id))).id)
    assert await scheduler.fire((await _job(any_db, flashsale.public_key(sale.id))).id)
    async with any_db.read() as session:
        chats = (
            await session.execute(
                select(OutboxMessage.chat_id).where(OutboxMessage.dedupe_key.like(f"flash:{sale.id}:%"))
            )
        ).scalars()
        assert sorted(chats) == [-1001, 11]


async def test_live_price_for_catalog_and_search(any_db: Database) -> None:
    live_id = await make_product(any_db, "LIVE-1", price=9900)
    later_id = await make_product(any_db, "LATER-1", price=5000)
    plain_id = await make_product(any_db, "PLAIN-1", price=3000)
    await flashsale.create_sale(any_db, _spec("LATER-1", starts_in=timedelta(hours=1)), actor_id=None)
    sale = await flashsale.create_sale(any_db, _spec("LIVE-1", starts_in=timedelta(seconds=-1)), actor_id=None)
    async with any_db.tx() as session:
        await flashsale.start_sale(session, sale.id, late_by=timedelta(0), grace=timedelta(minutes=5))
    prices = await flashsale.live_prices(any_db, [live_id, later_id, plain_id])
    assert prices == {live_id: flashsale.LivePrice(sale.id, 1990, 5)}
    async with any_db.read() as session:
        items = await search_service._products(session, [live_id, plain_id])
    assert items[live_id].flash_price == 1990 and items[live_id].price == 9900
    assert items[plain_id].flash_price is None


async def test_winner_chooses_pickup_or_delivery_before_paying(any_db: Database) -> None:
    await make_product(any_db)
    await make_users(any_db, [21, 22])
    sale = await flashsale.create_sale(any_db, _spec("FLASH-1", starts_in=timedelta(seconds=-1)), actor_id=None)
    async with any_db.tx() as session:
        await flashsale.start_sale(session, sale.id, late_by=timedelta(0), grace=timedelta(minutes=5))
    batch = await flashsale.commit_claims(
        any_db, sale.id, [flashsale.ClaimRequest(21, 1)], payment_window=timedelta(minutes=5)
    )
    order_id = batch.results[0].order_id
    assert order_id is not None
    points = ("central", "north")
    picked = await flashsale.choose_receipt(any_db, order_id, 21, "north", points)
    assert (picked.delivery_method, picked.pickup_point, picked.total) == ("pickup", "north", 1990)
    back = await flashsale.choose_receipt(any_db, order_id, 21, None, points)
    assert (back.delivery_method, back.pickup_point) == ("delivery", None)
    with pytest.raises(DomainError):
        await flashsale.choose_receipt(any_db, order_id, 21, "mars", points)
    with pytest.raises(DomainError):  # somebody else's order
        await flashsale.choose_receipt(any_db, order_id, 22, "north", points)
    await orders.cancel_by_buyer(any_db, order_id, 21)
    with pytest.raises(DomainError):  # no longer payable
        await flashsale.choose_receipt(any_db, order_id, 21, "north", points)
