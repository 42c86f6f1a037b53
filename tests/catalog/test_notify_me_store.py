""" "Notify me" and its "Cancel" in the shop core, on SQLite and PostgreSQL: subscribing twice leaves the shopper on
the list once, unsubscribing twice leaves them off it (also when the taps race), the card's one-statement read says
whether its shopper waits (nobody on a group card), and a restock tells only those still on the list, once. The
card's button drawn from that flag (a pure view) carries its intent, so a repeat cannot flip it."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.callbacks.ops import WATCH_OFF, WATCH_ON, WatchCB
from bot.i18n import t_plain
from bot.views import catalog as views
from store import product_card, stock_alerts
from store.catalog import ProductView
from store.db import Database
from store.models import OutboxMessage
from tests.catalog.test_views import make
from tests.orders.helpers import make_product, make_users

ADMIN = 900_000_001


async def _told(db: Database) -> list[int]:
    async with db.read() as session:
        query = select(OutboxMessage.chat_id).where(OutboxMessage.template == stock_alerts.BACK_IN_STOCK_TEMPLATE)
        return sorted(int(chat) for chat in (await session.execute(query)).scalars())


async def test_subscribe_and_unsubscribe_are_idempotent(any_db: Database) -> None:
    await make_users(any_db, [101, 102])
    gone = await make_product(any_db, "GONE-1", stock=0)
    assert await stock_alerts.watch(any_db, 101, gone) == stock_alerts.WATCHING
    assert await stock_alerts.watch(any_db, 101, gone) == stock_alerts.ALREADY
    assert await stock_alerts.is_watching(any_db, 101, gone)
    assert await stock_alerts.waiting_count(any_db, gone) == 1

    assert await stock_alerts.unwatch(any_db, 101, gone) is True
    assert await stock_alerts.unwatch(any_db, 101, gone) is False, "a second Cancel finds nothing to cancel"
    assert not await stock_alerts.is_watching(any_db, 101, gone)
    assert await stock_alerts.unwatch(any_db, 102, gone) is False, "never on the list: nothing happens"
    assert await stock_alerts.waiting_count(any_db, gone) == 0

    # Racing repeats (a double tap reaching two processes): one acts, the state ends where the taps meant it to.
    ons = await asyncio.gather(*(stock_alerts.watch(any_db, 102, gone) for _ in range(4)))
    assert sorted(ons) == [stock_alerts.ALREADY] * 3 + [stock_alerts.WATCHING]
    assert await stock_alerts.waiting_count(any_db, gone) == 1
    offs = await asyncio.gather(*(stock_alerts.unwatch(any_db, 102, gone) for _ in range(4)))
    assert sorted(offs) == [False, False, False, True]
    assert await stock_alerts.waiting_count(any_db, gone) == 0


async def test_the_card_read_says_whether_its_shopper_waits(any_db: Database) -> None:
    await make_users(any_db, [101, 102])
    gone = await make_product(any_db, "GONE-1", stock=0)
    other = await make_product(any_db, "GONE-2", stock=0)
    await stock_alerts.watch(any_db, 101, gone)

    async def watching(user: int | None, product: int = gone) -> bool:
        facts = await product_card.card_facts(any_db, product, user)
        assert facts is not None
        return facts.watching

    assert await watching(101) is True
    assert await watching(102) is False, "another shopper's card"
    assert await watching(101, other) is False, "another product's card"
    assert await watching(None) is False, "a group card is nobody's"
    await stock_alerts.unwatch(any_db, 101, gone)
    assert await watching(101) is False


async def test_a_restock_tells_only_those_on_the_list_once(any_db: Database) -> None:
    await make_users(any_db, [101, 102, 103])
    gone = await make_product(any_db, "GONE-1", stock=0)
    await stock_alerts.watch(any_db, 101, gone)
    await stock_alerts.watch(any_db, 102, gone)
    await stock_alerts.unwatch(any_db, 102, gone)  # changed their mind
    await stock_alerts.unwatch(any_db, 103, gone)  # never subscribed
    await stock_alerts.restock(any_db, gone, 5, actor_id=ADMIN, actor_role="admin", default_threshold=5)
    assert await _told(any_db) == [101]
    async with any_db.tx() as session:  # the sweep runs on: nobody is told again
        await stock_alerts.check(session, 5, [ADMIN])
    assert await _told(any_db) == [101]
    assert await stock_alerts.waiting_count(any_db, gone) == 0


def _bell(lang: str, product: ProductView, options: views.CardOptions) -> list[tuple[str, str | None]]:
    screen = views.product_card(lang, product, options, "shop_bot")
    assert screen.markup is not None
    return [(b.text, b.callback_data) for row in screen.markup.inline_keyboard for b in row if "🔔" in b.text]


def test_the_card_draws_the_shoppers_state_and_a_group_card_nobodys() -> None:
    product = make(stock=0, is_digital=False, stars_price=None)
    for lang in ("en", "zh"):
        off = [(t_plain(lang, "ops.notify_me"), WatchCB(p=product.id, a=WATCH_ON).pack())]
        on = [(t_plain(lang, "notify_me.on_button"), WatchCB(p=product.id, a=WATCH_OFF).pack())]
        assert _bell(lang, product, views.CardOptions()) == off
        assert _bell(lang, product, views.CardOptions(watching=True)) == on
        group = [_bell(lang, product, views.CardOptions(group=True, watching=w)) for w in (False, True)]
        assert group == [[], []], "a group card is everyone's"

        # The tapped card's keyboard, redrawn in place; nothing to edit when it already shows the state.
        drawn = views.product_card(lang, product, views.CardOptions(), "shop_bot").markup
        subscribed = views.with_notify_me(lang, drawn, product.id, watching=True)
        assert subscribed is not None
        assert views.with_notify_me(lang, subscribed, product.id, watching=True) is None
        assert views.with_notify_me(lang, drawn, product.id, watching=False) is None
        assert views.with_notify_me(lang, drawn, product.id + 1, watching=True) is None, "another product's card"


def test_old_buttons_still_parse_as_notify_me() -> None:
    """Cards delivered before the button carried its intent have `wt:<id>`: a tap on one subscribes."""
    assert WatchCB.unpack("wt:42") == WatchCB(p=42, a=WATCH_ON)
    assert WatchCB.unpack(WatchCB(p=42, a=WATCH_OFF).pack()) == WatchCB(p=42, a=WATCH_OFF)
