"""Search on SQLite and PostgreSQL: products in stock rank before sold-out ones for best match (outside check:
"水果 便宜" put a sold-out product first), kept current as stock changes without re-indexing; and a query of only
emoji ("🍎", "🍵") finds the products it names (outside check: it found nothing)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from store import catalog
from store.catalog import ProductRow
from store.db import Database
from store.models import Product
from store.models.flashsale import FlashSale
from store.search import (
    IndexedProduct,
    SearchEngine,
    SearchIndex,
    get_index,
    looks_like_product_query,
    parse_query,
    search_products,
)
from store.search.interim import interim_index
from tests.flashsale.helpers import live_sale

ROWS = [
    # Sold out, and the best match by text: "fruit"/"水果" in its titles, not only in its tags.
    ProductRow(
        "FRU-MANGO",
        "Hainan mango fruit box, 3 kg",
        "海南芒果水果礼盒 3公斤",
        "fruit",
        3990,
        "CNY",
        0,
        tags="mango fruit 芒果 水果",
        category_en="Fresh fruit",
        category_zh="新鲜水果",
    ),
    ProductRow("FRU-BANANA", "Bananas, 1 kg", "香蕉 1公斤", "fruit", 990, "CNY", 60, tags="banana fruit 香蕉 水果"),
    ProductRow(
        "FRU-APPLE",
        "Fuji apples, 2 kg",
        "烟台红富士苹果 2公斤",
        "fruit",
        2990,
        "CNY",
        40,
        tags="apple fuji fruit 苹果 水果",
    ),
    ProductRow(
        "TEA-OOLONG",
        "Oolong tea",
        "安溪铁观音",
        "drinks",
        5900,
        "CNY",
        0,
        tags="tea oolong 乌龙茶 茶",
        category_en="Drinks & tea",
        category_zh="茶饮酒水",
    ),
    ProductRow("TEA-GREEN", "Longjing green tea", "西湖龙井绿茶", "drinks", 3900, "CNY", 10, tags="green 绿茶 茶"),
]


async def load(db: Database) -> None:
    async with db.tx() as session:
        await catalog.upsert_products(session, ROWS)


async def find(engine: SearchEngine, text: str, **kwargs: Any) -> list[str]:
    kwargs.setdefault("refresh_seconds", 0)
    results = await search_products(engine, text, **kwargs)
    return [item.sku for item in results.items]


async def test_products_in_stock_come_before_sold_out_ones(any_db: Database) -> None:
    await load(any_db)
    engine = SearchEngine(any_db)
    for query in ("水果 便宜", "fruit cheap", "水果", "fruit"):
        found = await find(engine, query)
        assert found[-1] == "FRU-MANGO", query  # still listed, after what can be bought
        assert set(found[:2]) == {"FRU-BANANA", "FRU-APPLE"}, query
    results = await search_products(engine, "水果 便宜", refresh_seconds=0)
    assert results.partial and results.items[-1].stock == 0  # shown as sold out, as before
    # Pages follow the same order: the sold-out group continues where the in-stock one ends.
    pages = [await find(engine, "fruit", page=page, page_size=2) for page in range(2)]
    assert pages[0] in (["FRU-APPLE", "FRU-BANANA"], ["FRU-BANANA", "FRU-APPLE"]) and pages[1] == ["FRU-MANGO"]
    assert await find(engine, "tea") == ["TEA-GREEN", "TEA-OOLONG"]
    # Browsing everything by best match too (no words: newest first within each group).
    everything = await find(engine, "", price_min=0, page_size=10)
    assert everything[-2:] in (["FRU-MANGO", "TEA-OOLONG"], ["TEA-OOLONG", "FRU-MANGO"])
    # An explicit sort keeps its literal order.
    assert await find(engine, "fruit", sort="price_desc") == ["FRU-MANGO", "FRU-APPLE", "FRU-BANANA"]


async def test_a_stock_change_moves_the_product_without_reindexing(any_db: Database) -> None:
    await load(any_db)
    engine = SearchEngine(any_db)
    assert (await find(engine, "fruit"))[-1] == "FRU-MANGO"
    index = engine.index
    assert index is not None
    pending = index.pending
    # A purchase takes the last bananas the way checkout does: a conditional update that names only the stock.
    async with any_db.tx() as session:
        await session.execute(
            update(Product)
            .where(Product.sku == "FRU-BANANA", Product.stock >= 60)
            .values(stock=Product.stock - 60, version=Product.version + 1)
        )
    assert await find(engine, "fruit") == ["FRU-APPLE", "FRU-MANGO", "FRU-BANANA"]
    await catalog.adjust_stock(any_db, "FRU-MANGO", 5)  # restocked: the best match is first again
    assert await find(engine, "fruit") == ["FRU-MANGO", "FRU-APPLE", "FRU-BANANA"]
    assert engine.index is index and index.pending == pending, "a stock change re-indexes no text"
    # A flash sale takes all five units out of the product's stock: still buyable (at the flash price), still first.
    sale = await live_sale(any_db, "FRU-MANGO", stock=5)
    results = await search_products(engine, "fruit", refresh_seconds=0)
    first = results.items[0]
    assert (first.sku, first.stock, first.flash_price) == ("FRU-MANGO", 0, sale.price)
    async with any_db.tx() as session:  # every unit won: the sale has nothing left to sell
        await session.execute(update(FlashSale).where(FlashSale.id == sale.id).values(sold=FlashSale.stock))
    assert await find(engine, "fruit") == ["FRU-APPLE", "FRU-MANGO", "FRU-BANANA"]


async def test_an_emoji_finds_the_products_it_names(any_db: Database) -> None:
    await load(any_db)
    engine = SearchEngine(any_db)
    assert await find(engine, "🍎") == ["FRU-APPLE"]
    assert await find(engine, "🍵") == ["TEA-GREEN", "TEA-OOLONG"]
    assert await find(engine, "🍵 <50") == ["TEA-GREEN"]
    both = await search_products(engine, "🍌🍎", refresh_seconds=0)  # no product is both: the closest ones
    assert both.partial and {item.sku for item in both.items} == {"FRU-BANANA", "FRU-APPLE"}
    results = await search_products(engine, "🍎", refresh_seconds=0)
    assert results.query == "🍎" and results.total == 1  # the header shows what was typed
    assert (await search_products(engine, "🍎" * 2000, refresh_seconds=0)).query == "🍎"  # one word, not 2,000
    index = await get_index(engine, 0)
    assert looks_like_product_query(index, "🍎")
    assert not looks_like_product_query(index, "☕️")  # coffee: not in this catalog
    assert not looks_like_product_query(index, "😀")
    # While the index is still being built, the interim search understands emoji too.
    interim = await interim_index(any_db, parse_query("🍵"))
    assert len(interim.search(parse_query("🍵")).product_ids) == 2


def test_the_index_keeps_stock_in_place() -> None:
    def product(pid: int, title: str, in_stock: bool) -> IndexedProduct:
        return IndexedProduct(pid, 1, 100, pid, title, "", "", "", "fruit", True, in_stock)

    index = SearchIndex.build([product(1, "Fruit box", False), product(2, "Banana", True)])
    assert index.search(parse_query("fruit")).product_ids == [2, 1]
    assert not index.upsert(product(1, "Fruit box", True))  # stock alone: applied in place
    assert index.search(parse_query("fruit")).product_ids == [1, 2]
