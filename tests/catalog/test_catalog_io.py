"""Catalog import/export: every bad row reported with its line, all-or-nothing, exact prices, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import catalog, catalog_io, seed
from store.catalog_io import ImportRejected
from store.db import Database

HEADER = "sku,title_en,title_zh,category,category_en,category_zh,price,currency,stock,tags,is_digital,stars_price\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def test_csv_import_creates_categories_and_converts_prices_exactly(any_db: Database, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ok.csv",
        HEADER
        + "TEA-1,Green tea,绿茶,tea,Tea,茶叶,12.5,CNY,7,green 绿茶,,\n"
        + "TEA-2,Black tea,红茶,tea,,,0.10,,3,,false,\n"
        + "GC-1,Gift card,礼品卡,gifts,Gifts,礼品,100,CNY,50,,true,700\n",
    )
    stats = await catalog_io.import_file(any_db, path)
    assert (stats.inserted, stats.updated, stats.categories_created) == (3, 0, 2)
    tea = await catalog.get_product_by_sku(any_db, "TEA-1")
    cheap = await catalog.get_product_by_sku(any_db, "TEA-2")
    card = await catalog.get_product_by_sku(any_db, "GC-1")
    assert tea is not None and cheap is not None and card is not None
    assert (tea.price, tea.currency, tea.stock, tea.tags) == (1250, "CNY", 7, "green 绿茶")
    assert cheap.price == 10 and cheap.currency == "CNY", "a missing currency is the shop's"
    assert card.is_digital and card.stars_price == 700 and card.price == 10000
    names = {c.slug: (c.name_en, c.name_zh) for c in await catalog.list_categories(any_db)}
    assert names == {"tea": ("Tea", "茶叶"), "gifts": ("Gifts", "礼品")}


async def test_every_bad_row_is_reported_and_nothing_is_imported(any_db: Database, tmp_path: Path) -> None:
    await catalog_io.import_file(any_db, write(tmp_path, "first.csv", HEADER + "OLD-1,Old,旧,tea,,,1.00,,1,,,\n"))
    path = write(
        tmp_path,
        "bad.csv",
        HEADER
        + "OK-1,Fine,好,tea,,,1.00,,1,,,\n"  # line 2: fine
        + "BAD 2,Spaces in sku,坏,tea,,,1.00,,1,,,\n"  # line 3
        + 'OK-2,"A title with\na line break",好,tea,,,2.00,,1,,,\n'  # lines 4-5: fine
        + "OK-3,Too precise,坏,tea,,,1.005,,1,,,\n"  # line 6
        + "OK-4,Negative stock,坏,tea,,,1.00,,-4,,,\n"  # line 7
        + "OK-5,Stars but physical,坏,tea,,,1.00,,1,,false,50\n"  # line 8
        + ",No sku,坏,Not A Slug,,,abc,,1,,maybe,\n"  # line 9
        + "OK-1,Duplicate,重复,tea,,,1.00,,1,,,\n"  # line 10
        + "OLD-1,Changed,改,tea,,,9.00,,1,,,\n",  # line 11: fine, but must not be applied
    )
    with pytest.raises(ImportRejected) as rejected:
        await catalog_io.import_file(any_db, path)
    by_line: dict[int, list[str]] = {}
    for error in rejected.value.errors:
        by_line.setdefault(error.line, []).append(error.message)
    assert sorted(by_line) == [3, 6, 7, 8, 9, 10]
    assert "sku" in by_line[3][0]
    assert "price" in by_line[6][0]
    assert "stock" in by_line[7][0]
    assert "stars_price" in by_line[8][0]
    assert len(by_line[9]) == 4  # sku missing, category not a slug, price not a number, is_digital not a bool
    assert "duplicate" in by_line[10][0] and "line 2" in by_line[10][0]
    assert await catalog.count_products(any_db) == 1
    old = await catalog.get_product_by_sku(any_db, "OLD-1")
    assert old is not None and old.title_en == "Old" and old.price == 100


async def test_yaml_errors_carry_line_numbers(db: Database, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.yaml",
        "products:\n"
        "  - sku: Y-1\n"  # line 2
        "    title_en: Fine\n"
        "    category: tea\n"
        '    price: "3.50"\n'
        "  - sku: Y-2\n"  # line 6
        "    title_en: No price\n"
        "    category: tea\n"
        "    colour: red\n",
    )
    with pytest.raises(ImportRejected) as rejected:
        await catalog_io.import_file(db, path)
    assert {e.line for e in rejected.value.errors} == {6}
    assert {"price is required", "unknown field(s): colour"} <= {e.message for e in rejected.value.errors}
    assert await catalog.count_products(db) == 0


async def test_unknown_csv_column_and_missing_photo(db: Database, tmp_path: Path) -> None:
    with pytest.raises(ImportRejected) as header:
        await catalog_io.import_file(db, write(tmp_path, "h.csv", "sku,title_en,category,price,colour\n"))
    assert header.value.errors[0].line == 1 and "colour" in header.value.errors[0].message
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    path = write(
        tmp_path,
        "p.csv",
        "sku,title_en,category,price,photo\nP-1,Pic,tea,1,pics/a.png\nP-2,Nope,tea,1,pics/missing.png\n"
        "P-3,Url,tea,1,https://example.com/x.png\n",
    )
    with pytest.raises(ImportRejected) as missing:
        await catalog_io.import_file(db, path)
    assert [(e.line, "photo" in e.message) for e in missing.value.errors] == [(3, True)]
    path.write_text(path.read_text().replace("P-2,Nope,tea,1,pics/missing.png\n", ""), encoding="utf-8")
    await catalog_io.import_file(db, path)
    pic = await catalog.get_product_by_sku(db, "P-1")
    assert pic is not None and catalog.resolve_photo(pic.photo) == (tmp_path / "pics" / "a.png").resolve()


async def test_reimport_bumps_version_only_for_visible_changes(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", HEADER + "V-1,Tea,茶,tea,,,5.00,,3,,,\n")
    await catalog_io.import_file(db, path)
    assert (await catalog_io.import_file(db, path)).unchanged == 1
    path.write_text(HEADER + "V-1,Tea,茶,tea,,,5.00,,9,,,\n", encoding="utf-8")
    assert (await catalog_io.import_file(db, path)).updated == 1
    restocked = await catalog.get_product_by_sku(db, "V-1")
    assert restocked is not None and restocked.stock == 9 and restocked.version == 1
    path.write_text(HEADER + "V-1,Tea,茶,tea,,,5.50,,9,,,\n", encoding="utf-8")
    await catalog_io.import_file(db, path)
    repriced = await catalog.get_product_by_sku(db, "V-1")
    assert repriced is not None and repriced.price == 550 and repriced.version == 2


@pytest.mark.parametrize("fmt", ["csv", "yaml"])
async def test_export_import_round_trip(any_db: Database, tmp_path: Path, fmt: str) -> None:
    await seed.seed_demo_catalog(any_db)
    await catalog.set_active(any_db, "FRU-KIWI", False)
    exported = await catalog_io.export_text(any_db, fmt)
    path = write(tmp_path, f"catalog.{fmt}", exported)

    # Into the same database: nothing changes.
    stats = await catalog_io.import_file(any_db, path)
    assert stats.unchanged == len(stats.skus) and stats.inserted == stats.updated == 0

    # Into an empty database: the same catalog comes out again.
    fresh = Database(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    from store import migrations

    await migrations.upgrade(fresh)
    try:
        await catalog_io.import_file(fresh, path)
        assert await catalog_io.export_text(fresh, fmt) == exported
        kiwi = await catalog.get_product_by_sku(fresh, "FRU-KIWI")
        apple = await catalog.get_product_by_sku(fresh, "FRU-APPLE")
        assert kiwi is not None and not kiwi.active
        assert apple is not None and catalog.resolve_photo(apple.photo) is not None
    finally:
        await fresh.dispose()
