"""The wizard's counts screen (issue 14): defaults from the tiers and the stock, steppers that set values, the
typed form, and "no maximum" worded as such in both languages (never "at most no maximum"); the product picker's
lists (the leader's recent products first, a category, products by id in the search's order)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bot.views import groupbuy as views
from store import groupbuy
from store.db import Database
from store.errors import DomainError
from store.groupbuy import Counts, Tier, check_counts, default_counts, parse_counts, set_counts_field
from store.groupbuy.counts import maximum_down, maximum_up
from store.models import Product
from tests.catalog.test_views import make
from tests.groupbuy.helpers import make_product, make_users, publish

TIERS = (Tier(3, 1521), Tier(10, 1352))


@pytest.mark.parametrize(
    ("tiers", "stock", "expected"),
    [
        (TIERS, 40, Counts(3, None, 2)),  # 40 serve twice the best tier's 10 people at 2 each: no maximum
        (TIERS, 30, Counts(3, 15, 2)),  # tight: as many people as the stock serves at 2 each
        (TIERS, 12, Counts(3, 12, 1)),  # not 2 each for the best tier's 10 people: 1 each
        ((Tier(1, 1200),), 5, Counts(1, None, 2)),  # one group price from 1 person
        ((Tier(5, 900),), 3, Counts(3, 3, 1)),  # less stock than the first tier: the check refuses it later
    ],
)
def test_defaults_come_from_the_tiers_and_the_stock(tiers: tuple[Tier, ...], stock: int, expected: Counts) -> None:
    assert default_counts(tiers, stock) == expected


def test_the_defaults_always_fit_when_the_stock_reaches_the_best_tier() -> None:
    for stock in range(10, 200):
        check_counts(TIERS, default_counts(TIERS, stock), stock)


def test_the_maximum_steps_to_and_from_no_maximum() -> None:
    assert maximum_down(Counts(3, None, 2), 40) == 20, "from none: what the stock serves at the limit"
    assert maximum_down(Counts(3, 20, 2), 40) == 15
    assert maximum_down(Counts(3, 9, 2), 40) == 8
    assert maximum_down(Counts(3, 3, 2), 40) is None, "nothing below the minimum"
    assert maximum_up(Counts(3, 15, 2), 40) == 20
    assert maximum_up(Counts(3, 20, 2), 40) == 0, "past the stock: no maximum"
    assert maximum_up(Counts(3, None, 2), 40) is None


def test_stepper_values_and_typed_counts() -> None:
    counts = Counts(3, None, 2)
    assert set_counts_field(counts, "m", "4") == Counts(4, None, 2)
    assert set_counts_field(counts, "x", "20") == Counts(3, 20, 2)
    assert set_counts_field(Counts(3, 20, 2), "x", "0") == counts
    with pytest.raises(DomainError):
        set_counts_field(counts, "z", "4")
    with pytest.raises(DomainError):
        set_counts_field(counts, "l", "100")
    assert parse_counts("2 20 3", counts) == Counts(2, 20, 3)
    assert parse_counts("2，-，1", Counts(3, 20, 2)) == Counts(2, None, 1)
    assert parse_counts("5 不限", Counts(3, 20, 2)) == Counts(5, None, 2)
    assert parse_counts("5", counts) == Counts(5, None, 2), "fewer values keep the rest"
    for bad, code in (("", "gb_bad_counts"), ("1 2 3 4", "gb_bad_counts"), ("two", "gb_not_a_number")):
        with pytest.raises(DomainError) as refused:
            parse_counts(bad, counts)
        assert refused.value.code == code


@pytest.mark.parametrize(
    ("lang", "none", "some"),
    [
        ("en", "People: at least 3, no maximum", "People: at least 3, at most 20"),
        ("zh", "人数：至少 3，不限人数", "人数：至少 3，最多 20"),
    ],
)
def test_no_maximum_is_worded_as_such(lang: str, none: str, some: str) -> None:
    tea = make(price=1690, stock=40, is_digital=False)
    screen = views.counts_prompt(lang, tea, Counts(3, None, 2))
    assert none in screen.text
    assert none in views.people_lines(lang, Counts(3, None, 2))[0]
    assert some in views.people_lines(lang, Counts(3, 20, 2))[0]
    for text in (screen.text, views.people_lines(lang, Counts(3, None, 2))[0]):
        assert "at most no" not in text and "最多 不限" not in text


async def test_the_picker_lists_the_leaders_recent_products_first_and_a_category(any_db: Database) -> None:
    tea = await make_product(any_db, stock=40, sku="GB-TEA")
    rice = await make_product(any_db, stock=10, sku="GB-RICE", title="Jasmine rice")
    gone = await make_product(any_db, stock=5, sku="GB-GONE", title="Gone")
    await make_users(any_db, [7, 8])
    assert [p.id for p in await groupbuy.candidate_products(any_db, leader_id=7)] == [tea, rice, gone]
    await publish(any_db, gone, leader_id=7, tiers=(Tier(2, 9000),), minimum=2, per_person=1)
    await publish(any_db, rice, leader_id=7, tiers=(Tier(2, 9000),), minimum=2, per_person=1)
    await publish(any_db, tea, leader_id=8, tiers=(Tier(2, 9000),), minimum=2, per_person=1)
    async with any_db.tx() as session:
        await session.execute(update(Product).where(Product.id == gone).values(stock=0))
    # Leader 7's newest first (rice), then the rest by stock; a product out of stock is never offered.
    assert [p.id for p in await groupbuy.candidate_products(any_db, leader_id=7)] == [rice, tea]
    assert [p.id for p in await groupbuy.candidate_products(any_db, leader_id=8)] == [tea, rice]
    category = (await groupbuy.product_for_wizard(any_db, product_id=tea)).category_id
    assert [p.id for p in await groupbuy.candidate_products(any_db, category_id=category)] == [tea, rice]
    assert [p.id for p in await groupbuy.wizard_products(any_db, [rice, gone, tea, rice])] == [rice, tea]
