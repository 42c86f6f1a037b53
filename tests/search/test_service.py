"""Search over the database: results read live, the index kept fresh after edits, imports, hiding and deletion."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, update

from store import catalog
from store.catalog import ProductRow
from store.db import Database
from store.models import Product, utcnow
from store.search import SearchEngine, get_index, looks_like_product_query, search_products
from store.search import service as search_service
from tests.moved_clock import MovedClock

ROWS = [
    ProductRow(
        "FRU-BANANA",
        "Bananas, 1 kg",
        "香蕉 1公斤",
        "fruit",
        990,
        "CNY",
        60,
        tags="banana fruit 水果",
        category_en="Fresh fruit",
        category_zh="新鲜水果",
    ),
    ProductRow(
        "FRU-APPLE", "Fuji apples, 2 kg", "烟台红富士苹果 2公斤", "fruit", 2990, "CNY", 40, tags="apple fuji 苹果 水果"
    ),
    ProductRow(
        "TEA-GREEN",
        "Longjing green tea",
        "西湖龙井绿茶",
        "drinks",
        3900,
        "CNY",
        10,
        tags="tea 绿茶",
        category_en="Drinks & tea",
        category_zh="茶饮酒水",
    ),
    ProductRow("TEA-OOLONG", "Oolong tea", "安溪铁观音", "drinks", 5900, "CNY", 0, tags="tea oolong 乌龙茶"),
    ProductRow(
        "SNK-CHOC",
        "Dark chocolate bar",
        "黑巧克力",
        "snacks",
        1290,
        "CNY",
        25,
        tags="chocolate snack 零食",
        category_en="Snacks",
        category_zh="休闲零食",
    ),
]


async def load(db: Database, rows: list[ProductRow]) -> None:
    async with db.tx() as session:
        await catalog.upsert_products(session, rows)


async def find(db: Database, cache: SearchEngine, text: str, **kwargs: Any) -> list[str]:
    kwargs.setdefault("refresh_seconds", 0)
    results = await search_products(cache, text, **kwargs)
    return [item.sku for item in results.items]


async def test_results_come_from_the_database(db: Database) -> None:
    await load(db, ROWS)
    cache = SearchEngine(db)
    results = await search_products(cache, "banan", refresh_seconds=3600)
    assert [(i.sku, i.price, i.stock, i.title("zh")) for i in results.items] == [("FRU-BANANA", 990, 60, "香蕉 1公斤")]
    await catalog.adjust_stock(db, "FRU-BANANA", -5)
    # Even inside the refresh window the shown stock is live: the page is read by id.
    results = await search_products(cache, "banana", refresh_seconds=3600)
    assert results.items[0].stock == 55


async def test_facets_filters_sort_and_pages(db: Database) -> None:
    await load(db, ROWS)
    cache = SearchEngine(db)
    results = await search_products(cache, "tea", refresh_seconds=0)
    assert results.total == 2
    assert [(c.name_en, c.count) for c in results.categories] == [("Drinks & tea", 2)]
    assert await find(db, cache, "tea", sort="price_desc") == ["TEA-OOLONG", "TEA-GREEN"]
    assert await find(db, cache, "tea <50") == ["TEA-GREEN"]
    assert await find(db, cache, "tea", price_min=5000) == ["TEA-OOLONG"]
    everything = await search_products(cache, "", price_min=0, sort="price_asc", page_size=2, refresh_seconds=0)
    assert (everything.total, everything.pages, [i.sku for i in everything.items]) == (5, 3, ["FRU-BANANA", "SNK-CHOC"])
    last = await search_products(cache, "", price_min=0, sort="price_asc", page_size=2, page=7, refresh_seconds=0)
    assert last.page == 2 and [i.sku for i in last.items] == ["TEA-OOLONG"]  # a page past the end: the last one
    drinks = results.categories[0].id
    assert sorted(await find(db, cache, "tea", category_id=drinks)) == ["TEA-GREEN", "TEA-OOLONG"]
    assert await find(db, cache, "tea", category_id=drinks + 1000) == []


async def test_no_results_suggest_a_correction_and_close_products(db: Database) -> None:
    await load(db, ROWS)
    cache = SearchEngine(db)
    results = await search_products(cache, "choclat", refresh_seconds=0)
    assert results.total == 0
    assert results.suggestion == "chocolate"
    assert [i.sku for i in results.suggested] == ["SNK-CHOC"]


async def test_an_edit_is_searchable_within_the_refresh_window(db: Database) -> None:
    await load(db, ROWS)
    cache = SearchEngine(db)
    assert await find(db, cache, "mango", refresh_seconds=3600) == []
    async with db.tx() as session:
        await session.execute(
            update(Product).where(Product.sku == "FRU-BANANA").values(title_en="Hainan mango", updated_at=utcnow())
        )
    assert await find(db, cache, "mango", refresh_seconds=3600) == []  # still inside the window
    assert await find(db, cache, "mango", refresh_seconds=0) == ["FRU-BANANA"]
    assert await find(db, cache, "hainan") == ["FRU-BANANA"]
    assert await find(db, cache, "kg") == ["FRU-APPLE"]  # the old English title is gone


async def test_imports_hiding_and_deleting(db: Database) -> None:
    await load(db, ROWS)
    cache = SearchEngine(db)
    assert await find(db, cache, "芒果") == []
    await load(db, [ProductRow("FRU-MANGO", "Mango", "海南芒果", "fruit", 1590, "CNY", 9, tags="mango 芒果")])
    assert await find(db, cache, "芒果") == ["FRU-MANGO"]
    await catalog.set_active(db, "FRU-MANGO", False)
    assert await find(db, cache, "mango") == []
    await catalog.set_active(db, "FRU-MANGO", True)
    assert await find(db, cache, "mango") == ["FRU-MANGO"]
    async with db.tx() as session:
        await session.execute(delete(Product).where(Product.sku == "SNK-CHOC"))
    assert await find(db, cache, "chocolate") == []
    index = await get_index(cache, 0)
    assert index.known_count == 5


async def test_a_late_commit_with_an_older_timestamp_is_still_seen(db: Database) -> None:
    await load(db, ROWS)
    cache = SearchEngine(db)
    await find(db, cache, "tea")
    past = utcnow() - timedelta(seconds=5)  # written before the newest change the index has seen
    async with db.tx() as session:
        await session.execute(
            update(Product).where(Product.sku == "TEA-OOLONG").values(title_en="Tieguanyin oolong", updated_at=past)
        )
    assert await find(db, cache, "tieguanyin") == ["TEA-OOLONG"]


async def test_a_large_change_rebuilds_the_index(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    await load(db, ROWS)
    cache = SearchEngine(db)
    await find(db, cache, "tea")
    before = cache.index
    monkeypatch.setattr(search_service, "REBUILD_ABOVE", 2)
    await load(db, [ProductRow(f"K{i}", f"Kiwi pack {i}", "猕猴桃", "fruit", 500 + i, "CNY", 5) for i in range(4)])
    assert len(await find(db, cache, "kiwi", page_size=10)) == 4
    assert cache.index is not before


async def test_looks_like_product_query_on_the_live_index(db: Database) -> None:
    await load(db, ROWS)
    index = await get_index(SearchEngine(db), 0)
    assert looks_like_product_query(index, "oolong tea")
    assert looks_like_product_query(index, "绿茶")
    assert not looks_like_product_query(index, "when will my order arrive")


async def test_with_a_window_the_check_runs_in_the_background(db: Database) -> None:
    await load(db, ROWS)
    clock = MovedClock()
    cache = SearchEngine(db, clock=clock.monotonic)
    engine = cache
    assert await find(db, cache, "lychee", refresh_seconds=60) == []
    async with db.tx() as session:
        await session.execute(
            update(Product).where(Product.sku == "FRU-APPLE").values(title_en="Lychee, 1 kg", updated_at=utcnow())
        )
    clock.advance(30)
    # Within the window no check runs: the index is answered as it was.
    assert await find(db, cache, "lychee", refresh_seconds=60) == []
    await engine.close()
    assert await find(db, cache, "lychee", refresh_seconds=60) == []
    clock.advance(31)
    # Past the window this search is answered by the index as it was and starts the check; the next one sees
    # the change.
    assert await find(db, cache, "lychee", refresh_seconds=60) == []
    await engine.close()
    assert await find(db, cache, "lychee", refresh_seconds=60) == ["FRU-APPLE"]
