"""Catalog rules on SQLite and PostgreSQL: the demo seed, keyset pages, cards, stock adjustments, visibility."""

from __future__ import annotations

import struct

import pytest

from store import catalog, seed
from store.catalog import SEED_DATA_DIR, CategoryRow
from store.db import Database
from store.errors import Conflict, NotFound
from tests.catalog.helpers import add_products, product


async def test_demo_seed_is_bilingual_and_idempotent(any_db: Database) -> None:
    assert await seed.seed_demo_catalog(any_db) is True
    categories = await catalog.list_categories(any_db)
    assert len(categories) >= 6
    assert all(c.name_zh and c.name_zh != c.name_en for c in categories)
    _, products = await catalog.export_catalog(any_db)
    items = [p.product for p in products]
    assert len(items) >= 32
    assert all(p.title_zh and p.description_zh and p.description_en for p in items)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in p.title_zh + p.tags) for p in items)
    assert all(p.currency == "CNY" and p.price > 0 for p in items)
    digital = [p for p in items if p.is_digital]
    assert len(digital) >= 4 and all(p.stars_price and p.stars_price > 0 for p in digital)
    assert any(p.stock == 0 for p in items), "one sold-out product for the demo"
    with_photo = [p for p in items if p.photo]
    assert len(with_photo) >= 6
    for item in with_photo:
        path = catalog.resolve_photo(item.photo)
        assert path is not None and path.parent == SEED_DATA_DIR / "photos"
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) < 20_000
        assert struct.unpack(">II", data[16:24]) == (320, 240)

    # A second run inserts nothing and keeps what shoppers bought in the meantime.
    await catalog.adjust_stock(any_db, "FRU-APPLE", -3)
    before = await catalog.get_product_by_sku(any_db, "FRU-APPLE")
    assert await seed.seed_demo_catalog(any_db) is False
    after = await catalog.get_product_by_sku(any_db, "FRU-APPLE")
    assert before is not None and after is not None
    assert after.stock == before.stock and after.version == before.version
    assert await catalog.count_products(any_db) == len(items)


async def test_pages_walk_forward_and_back_by_keyset(any_db: Database) -> None:
    teas = [product(f"T{i:02d}", category="tea") for i in range(8)]
    await add_products(any_db, *teas, product("X1", category="other"))
    await catalog.set_active(any_db, "T03", False)
    tea = next(c for c in await catalog.list_categories(any_db) if c.slug == "tea")

    first = await catalog.product_page(any_db, tea.id, size=3)
    assert [p.sku for p in first.items] == ["T00", "T01", "T02"]
    assert (first.number, first.has_prev, first.has_next) == (0, False, True)

    second = await catalog.product_page(any_db, tea.id, start=first.items[-1].id + 1, number=1, size=3)
    assert [p.sku for p in second.items] == ["T04", "T05", "T06"], "hidden products are not listed"
    assert (second.number, second.has_prev, second.has_next) == (1, True, True)

    third = await catalog.product_page(any_db, tea.id, start=second.items[-1].id + 1, number=2, size=3)
    assert [p.sku for p in third.items] == ["T07"]
    assert (third.has_prev, third.has_next) == (True, False)

    back = await catalog.product_page(any_db, tea.id, start=third.start, backward=True, number=1, size=3)
    assert [p.sku for p in back.items] == ["T04", "T05", "T06"]
    assert (back.number, back.has_prev, back.has_next) == (1, True, True)
    back = await catalog.product_page(any_db, tea.id, start=back.start, backward=True, number=0, size=3)
    assert [p.sku for p in back.items] == ["T00", "T01", "T02"]
    assert (back.number, back.has_prev) == (0, False)

    # A page whose products disappeared falls back to the first page instead of showing nothing.
    stale = await catalog.product_page(any_db, tea.id, start=10_000, number=5, size=3)
    assert [p.sku for p in stale.items] == ["T00", "T01", "T02"] and stale.number == 0

    with pytest.raises(NotFound):
        await catalog.product_page(any_db, 999_999)


async def test_categories_without_active_products_are_hidden(any_db: Database) -> None:
    await add_products(
        any_db,
        product("A1", category="alpha"),
        product("B1", category="beta"),
        categories=(CategoryRow("beta", "Beta", "乙", 1), CategoryRow("alpha", "Alpha", "甲", 2)),
    )
    assert [c.slug for c in await catalog.list_categories(any_db)] == ["beta", "alpha"]
    await catalog.set_active(any_db, "B1", False)
    cats = await catalog.list_categories(any_db)
    assert [c.slug for c in cats] == ["alpha"]
    assert cats[0].name("zh") == "甲" and cats[0].name("en") == "Alpha"


async def test_card_lookup_and_language(any_db: Database) -> None:
    await add_products(any_db, product("TEA-1", title_en="Green tea", title_zh="绿茶", description_zh="", price=1250))
    card = await catalog.get_product_by_sku(any_db, "TEA-1")
    assert card is not None
    assert card.title("zh") == "绿茶" and card.title("en") == "Green tea"
    assert card.money.format() == "¥12.50"
    assert card.description("zh") == card.description("en"), "an empty Chinese text falls back to English"
    assert await catalog.get_product(any_db, card.id) == card
    assert await catalog.get_product_by_sku(any_db, "NOPE") is None


async def test_adjust_stock_never_goes_negative(any_db: Database) -> None:
    await add_products(any_db, product("S1", stock=3))
    assert await catalog.adjust_stock(any_db, "S1", 5) == 8
    assert await catalog.adjust_stock(any_db, "S1", -8) == 0
    with pytest.raises(Conflict) as refused:
        await catalog.adjust_stock(any_db, "S1", -1)
    assert refused.value.code == "catalog_stock_negative" and refused.value.params["stock"] == 0
    with pytest.raises(NotFound):
        await catalog.adjust_stock(any_db, "MISSING", 1)
    current = await catalog.get_product_by_sku(any_db, "S1")
    assert current is not None and current.stock == 0 and current.version == 1, "stock is not a stale-making change"


async def test_set_active_bumps_version_once(any_db: Database) -> None:
    await add_products(any_db, product("V1"))
    assert await catalog.set_active(any_db, "V1", False) is True
    assert await catalog.set_active(any_db, "V1", False) is False
    hidden = await catalog.get_product_by_sku(any_db, "V1")
    assert hidden is not None and not hidden.active and hidden.version == 2
    assert await catalog.set_active(any_db, "V1", True) is True
    shown = await catalog.get_product_by_sku(any_db, "V1")
    assert shown is not None and shown.active and shown.version == 3
    with pytest.raises(NotFound):
        await catalog.set_active(any_db, "MISSING", True)


async def test_photo_file_id_is_cached_for_the_current_photo_only(any_db: Database) -> None:
    await add_products(any_db, product("P1", photo="photos/apple.png"))
    item = await catalog.get_product_by_sku(any_db, "P1")
    assert item is not None
    await catalog.save_photo_file_id(any_db, item.id, "photos/apple.png", "FILE-1")
    cached = await catalog.get_product(any_db, item.id)
    assert cached is not None and cached.photo_file_id == "FILE-1" and cached.version == item.version
    # The photo was replaced (import): its cached id is dropped and a late save for the old photo is ignored.
    await add_products(any_db, product("P1", photo="photos/orange.png"))
    await catalog.save_photo_file_id(any_db, item.id, "photos/apple.png", "FILE-OLD")
    replaced = await catalog.get_product(any_db, item.id)
    assert replaced is not None and replaced.photo_file_id is None and replaced.version == item.version + 1
