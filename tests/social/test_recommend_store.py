"""The recommender in the store: co-purchase and co-view neighbours, group popularity, and the live filters
(never sold out, never hidden, never already in the cart)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from store import cart, catalog
from store.db import Database
from store.recommend import model
from store.recommend.service import Recommender
from tests.social.helpers import add_products, bought, make_user, product, product_id

SKUS = ("TEA", "POT", "CUP", "SOAP", "MOP", "APPLE")


async def shop(db: Database) -> None:
    await add_products(db, *(product(sku, stock=5) for sku in SKUS))
    for user in range(1, 9):
        await make_user(db, user)
    # Tea drinkers buy a pot and cups with their tea; cleaners buy soap with a mop.
    for user in (1, 2, 3, 4):
        await bought(db, user, ["TEA", "POT"])
        await bought(db, user, ["CUP"], ago=timedelta(hours=5))
    for user in (5, 6, 7):
        await bought(db, user, ["SOAP", "MOP"])
    await bought(db, 8, ["APPLE"], status="cancelled")  # not a purchase


async def titles(items: list[catalog.ProductView]) -> list[str]:
    return [item.sku for item in items]


async def test_similar_products_come_from_co_purchases(db: Database) -> None:
    await shop(db)
    rec = Recommender(db)
    await rec.refresh()
    similar = await titles(await rec.similar(None, await product_id(db, "TEA"), 2))
    assert similar == ["POT", "CUP"] or similar == ["CUP", "POT"]
    assert "SOAP" not in await titles(await rec.similar(None, await product_id(db, "TEA"), 2))
    mop_like = await titles(await rec.similar(None, await product_id(db, "MOP"), 1))
    assert mop_like == ["SOAP"]


async def test_sold_out_hidden_and_in_cart_products_are_never_suggested(db: Database) -> None:
    await shop(db)
    rec = Recommender(db)
    await rec.refresh()
    tea = await product_id(db, "TEA")
    await catalog.adjust_stock(db, "POT", -5)  # sold out now: the snapshot does not know, the lookup does
    await catalog.set_active(db, "CUP", False)
    suggestions = await titles(await rec.similar(None, tea, 3))
    assert "POT" not in suggestions and "CUP" not in suggestions and suggestions  # backfilled by popularity
    await catalog.adjust_stock(db, "POT", 3)
    await catalog.set_active(db, "CUP", True)
    await cart.add_to_cart(db, 8, await product_id(db, "POT"), 1, max_per_line=10)
    mine = await titles(await rec.similar(8, tea, 3))
    assert "POT" not in mine and "CUP" in mine
    assert "POT" in await titles(await rec.similar(1, tea, 3)), "someone else's cart does not matter"


async def test_for_you_uses_history_and_skips_what_was_bought(db: Database) -> None:
    await shop(db)
    await make_user(db, 20)
    await bought(db, 20, ["TEA"])
    rec = Recommender(db)
    await rec.refresh()
    picks = await titles(await rec.for_user(20, 2))
    assert "TEA" not in picks
    assert set(picks) == {"POT", "CUP"}
    after_checkout = await titles(await rec.for_user(5, 3, seeds=[await product_id(db, "MOP")]))
    assert "MOP" not in after_checkout and "SOAP" not in after_checkout  # bought already


async def test_visits_feed_co_view_similarity(db: Database) -> None:
    await add_products(db, *(product(sku, stock=5) for sku in SKUS))
    for user in range(1, 5):
        await make_user(db, user)
    rec = Recommender(db)
    apple, soap = await product_id(db, "APPLE"), await product_id(db, "SOAP")
    for user in range(1, 5):
        rec.note_visit(user, apple)
        rec.note_visit(user, soap)
    await rec.refresh()  # flushes the visits first
    assert await titles(await rec.similar(None, apple, 1)) == ["SOAP"]


async def test_popular_in_group_follows_the_groups_own_purchases(db: Database) -> None:
    await shop(db)
    rec = Recommender(db)
    group_a, group_b = -100, -200
    for user in (5, 6, 7):
        rec.note_visit(user, await product_id(db, "MOP"), group_a)
    for user in (1, 2):
        rec.note_visit(user, await product_id(db, "TEA"), group_b)
    await rec.refresh()
    assert (await titles(await rec.for_group(group_a, 2)))[:2] in (["SOAP", "MOP"], ["MOP", "SOAP"])
    assert set(await titles(await rec.for_group(group_b, 3))) == {"TEA", "POT", "CUP"}
    assert await rec.for_group(-999, 1), "a new group sees the shop's best-sellers"


async def test_lookups_never_build_on_the_tap_and_rebuild_when_stale(db: Database) -> None:
    await shop(db)
    now = [datetime(2026, 12, 1, tzinfo=UTC)]
    rec = Recommender(db, ttl=timedelta(minutes=10), clock=lambda: now[0])
    tea = await product_id(db, "TEA")
    assert await rec.similar(None, tea) == [], "no snapshot yet: an empty answer, the build runs behind"
    await rec.wait_idle()
    assert rec.snapshot is not None
    first = rec.snapshot
    assert await rec.similar(None, tea)
    assert rec.snapshot is first
    now[0] += timedelta(minutes=11)
    await rec.similar(None, tea)
    await rec.wait_idle()
    assert rec.snapshot is not first and rec.snapshot.built_at == now[0]


def test_time_decay_lets_last_seasons_best_seller_fade() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    events = [model.Event(user, 1, now - timedelta(days=200)) for user in range(10)]
    events += [model.Event(user, 2, now - timedelta(days=2)) for user in range(10, 14)]
    snapshot = model.build(events, {}, now)
    assert model.popular(snapshot, 2) == [2, 1]
