"""Digital products sold for Telegram Stars under a price bound (outside check: "tea under 30", "30元以下" and the ¥
range buttons listed a ⭐50 e-book whose yuan column matched, although it can only be bought for Stars). A bound is
in the shop's currency, so it never lists a Stars-priced product, and the ¥ range buttons are drawn from the
currency-priced ones only; the price sorts list the currency-priced products first, then the Stars-priced ones in
⭐ order. Without a bound Stars products are listed as before. On SQLite and PostgreSQL, through the full index,
the SQL fallback used while the index warms up, and after a product is switched to or from Stars."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from store import catalog
from store.catalog import ProductRow
from store.db import Database
from store.models import Product
from store.search import IndexedProduct, SearchEngine, SearchIndex, SearchResults, parse_query, search_products
from store.search.interim import interim_index

ROWS = [
    ProductRow(
        "TEA-GREEN",
        "Longjing green tea",
        "西湖龙井绿茶",
        "drinks",
        2500,
        "CNY",
        10,
        tags="tea green 绿茶 茶",
        category_en="Drinks & tea",
        category_zh="茶饮酒水",
    ),
    ProductRow("TEA-OOLONG", "Oolong tea", "安溪铁观音", "drinks", 3900, "CNY", 10, tags="tea oolong 乌龙茶 茶"),
    ProductRow("TEA-WHITE", "White tea", "福鼎白茶", "drinks", 5900, "CNY", 10, tags="tea white 白茶 茶"),
    ProductRow("TEA-PUER", "Pu'er tea cake", "普洱茶饼", "drinks", 12800, "CNY", 10, tags="tea puer 普洱 茶"),
    # Sold for Stars: their yuan column (¥9.90, ¥200) is what a currency bound used to compare.
    ProductRow(
        "TEA-EBOOK",
        "Tea ceremony e-book",
        "茶道电子书",
        "digital",
        990,
        "CNY",
        999,
        tags="tea ebook 茶 电子书",
        category_en="Digital",
        category_zh="数字商品",
        is_digital=True,
        stars_price=50,
    ),
    ProductRow(
        "TEA-CLASS",
        "Tea tasting video class",
        "品茶视频课",
        "digital",
        20000,
        "CNY",
        999,
        tags="tea class 茶 课程",
        is_digital=True,
        stars_price=30,
    ),
]
CURRENCY_BY_PRICE = ["TEA-GREEN", "TEA-OOLONG", "TEA-WHITE", "TEA-PUER"]


async def load(db: Database) -> None:
    async with db.tx() as session:
        await catalog.upsert_products(session, ROWS)


async def results(engine: SearchEngine, text: str, **kwargs: Any) -> SearchResults:
    kwargs.setdefault("refresh_seconds", 0)
    kwargs.setdefault("page_size", 10)
    return await search_products(engine, text, **kwargs)


async def find(engine: SearchEngine, text: str, **kwargs: Any) -> list[str]:
    return [item.sku for item in (await results(engine, text, **kwargs)).items]


async def set_stars(db: Database, sku: str, stars: int | None, **values: Any) -> None:
    """An admin edit: the product switches to (or from) Stars pricing; `updated_at` follows by itself."""
    async with db.tx() as session:
        await session.execute(
            update(Product).where(Product.sku == sku).values(is_digital=stars is not None, stars_price=stars, **values)
        )


@pytest.fixture
def warming(monkeypatch: pytest.MonkeyPatch) -> None:
    """Searches are served as during start-up, while the index is still being built."""
    monkeypatch.setattr(SearchEngine, "warming", property(lambda self: True))


async def check_bounds(engine: SearchEngine) -> None:
    assert await find(engine, "tea under 30") == ["TEA-GREEN"]
    assert await find(engine, "茶 30元以下") == ["TEA-GREEN"]
    assert await find(engine, "tea <30") == ["TEA-GREEN"]
    assert await find(engine, "tea", price_max=3000) == ["TEA-GREEN"]
    assert await find(engine, "tea", price_min=10000) == ["TEA-PUER"]  # not the ¥200 video class
    assert await find(engine, "", price_min=0, sort="price_asc") == CURRENCY_BY_PRICE
    bounded = await results(engine, "tea", price_min=0)
    assert bounded.total == 4 and all(item.paid_price.currency == "CNY" for item in bounded.items)


async def test_a_currency_bound_never_lists_stars_products(any_db: Database) -> None:
    await load(any_db)
    engine = SearchEngine(any_db)
    await check_bounds(engine)
    # Without a bound they are listed as before, quoted in Stars.
    everything = await results(engine, "tea")
    assert everything.total == 6
    assert {item.sku: item.paid_price.currency for item in everything.items}["TEA-EBOOK"] == "XTR"


async def test_price_ranges_come_from_currency_priced_products(any_db: Database) -> None:
    await load(any_db)
    engine = SearchEngine(any_db)
    found = await results(engine, "tea")
    # From ¥25, ¥39, ¥59, ¥128 alone (with the ¥9.90 and ¥200 yuan columns they were under ¥30 / ¥30-80 / ¥80+).
    assert found.price_ranges == [(None, 4000), (4000, 6000), (6000, None)]
    for low, high in found.price_ranges:  # each button lists what it says, and only what ¥ buys
        listed = await results(engine, "tea", price_min=low, price_max=high)
        assert listed.items and all(item.paid_price.currency == "CNY" for item in listed.items), (low, high)
    assert (await results(engine, "ebook")).price_ranges == []


async def test_price_sorts_put_stars_products_after_the_others(any_db: Database) -> None:
    await load(any_db)
    engine = SearchEngine(any_db)
    assert await find(engine, "tea", sort="price_asc") == [*CURRENCY_BY_PRICE, "TEA-CLASS", "TEA-EBOOK"]
    assert await find(engine, "tea", sort="price_desc") == [*reversed(CURRENCY_BY_PRICE), "TEA-EBOOK", "TEA-CLASS"]
    assert await find(engine, "tea", sort="price_asc", page_size=4, page=1) == ["TEA-CLASS", "TEA-EBOOK"]


async def test_while_the_index_warms_up_the_fallback_applies_the_same_rule(any_db: Database, warming: None) -> None:
    await load(any_db)
    engine = SearchEngine(any_db)
    await check_bounds(engine)
    assert (await results(engine, "tea")).price_ranges == [(None, 4000), (4000, 6000), (6000, None)]
    assert await find(engine, "tea", sort="price_asc") == [*CURRENCY_BY_PRICE, "TEA-CLASS", "TEA-EBOOK"]
    assert engine.index is None
    # The SQL picks no Stars product as a candidate for a bound (they would take candidate slots for nothing).
    interim = await interim_index(any_db, parse_query("tea"), price_max=3000)
    assert len(interim) == 1


async def test_a_product_switched_to_or_from_stars_is_filtered_after_the_refresh(any_db: Database) -> None:
    await load(any_db)
    engine = SearchEngine(any_db)
    await check_bounds(engine)
    index = engine.index
    assert index is not None
    pending = index.pending
    await set_stars(any_db, "TEA-GREEN", 40)
    assert await find(engine, "tea under 30") == []
    stars_by_price = ["TEA-CLASS", "TEA-GREEN", "TEA-EBOOK"]  # ⭐30, ⭐40, ⭐50
    assert await find(engine, "tea", sort="price_asc") == [*CURRENCY_BY_PRICE[1:], *stars_by_price]
    assert (await results(engine, "tea")).price_ranges == []  # three currency prices: too few to split
    assert engine.index is index and index.pending == pending, "a price change re-indexes no text"
    await set_stars(any_db, "TEA-EBOOK", None)  # now sold for its ¥9.90
    assert await find(engine, "tea under 30") == ["TEA-EBOOK"]
    # Back to yuan together with a new title: re-indexed as a new document.
    await set_stars(any_db, "TEA-GREEN", None, title_en="Longjing green tea, spring")
    assert await find(engine, "tea under 30", sort="price_asc") == ["TEA-EBOOK", "TEA-GREEN"]
    index.compact()  # drops the old document; the flags stay with the live ones
    assert await find(engine, "tea", sort="price_desc") == [*reversed(CURRENCY_BY_PRICE), "TEA-EBOOK", "TEA-CLASS"]
    assert "TEA-CLASS" not in await find(engine, "tea", price_max=100000)


def test_the_index_updates_the_stars_flag_in_place() -> None:
    def product(pid: int, price: int, stars: int | None) -> IndexedProduct:
        return IndexedProduct(pid, 1, price, pid, f"Tea {pid}", "", "", "", "tea", stars_price=stars)

    index = SearchIndex.build([product(1, 990, 50), product(2, 2500, None), product(3, 1500, None)])
    under_30 = parse_query("tea under 30")
    hits = index.search(under_30, price_max=under_30.price_max, sort="price_asc")
    assert (hits.product_ids, hits.total) == ([3, 2], 2)
    assert sorted(index.search(parse_query("tea")).prices) == [1500, 2500]
    assert not index.upsert(product(1, 990, None))  # a price change alone: applied in place
    assert not index.upsert(product(3, 1500, 20))
    assert index.search(under_30, price_max=under_30.price_max, sort="price_asc").product_ids == [1, 2]
    assert index.search(parse_query("tea"), sort="price_desc").product_ids == [2, 1, 3]
