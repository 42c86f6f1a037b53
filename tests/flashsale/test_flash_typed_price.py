"""A flash price is typed in what the product's buyers pay, on every path: the wizard asked a Stars-sold digital
product's price in Stars while /flash_create, /flash_edit and `groupcart flash create` read every price in the
shop's currency, so "price=280" for a ⭐350 e-book was ¥280.00 and refused as "not below ¥50.00"
(store/flashsale/typed_price.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from store import catalog, flashsale, migrations
from store.db import Database
from store.errors import DomainError
from store.flashsale.typed_price import typed_price
from tests.conftest import ADMIN_ID
from tests.orders.helpers import make_product

ROOT = Path(__file__).resolve().parents[2]


async def _product(db: Database, sku: str) -> catalog.ProductView:
    found = await catalog.get_product_by_sku(db, sku)
    assert found is not None
    return found


def _refused(text: str, product: catalog.ProductView) -> DomainError:
    with pytest.raises(DomainError) as refused:
        typed_price(text, product)
    return refused.value


async def test_a_stars_product_is_priced_in_stars_and_a_physical_one_in_its_currency(db: Database) -> None:
    await make_product(db, "EBOOK", price=5000, stock=10, digital=True, stars=350)
    await make_product(db, "TEA", price=2680, stock=10)
    ebook, tea = await _product(db, "EBOOK"), await _product(db, "TEA")

    price = typed_price("280", ebook)
    assert flashsale.stars_price(ebook.price, 350, price) == 280 and price < ebook.price
    assert typed_price("⭐ 280", ebook) == price
    assert _refused("19.90", ebook).code == "flash_bad_stars"  # Stars are whole
    assert (_refused("350", ebook).code, _refused("350", ebook).params) == (
        "flash_price_not_lower",
        {"regular": "⭐ 350"},
    )
    assert _refused("0", ebook).code == "flash_bad_stars"

    assert typed_price("19.90", tea) == 1990
    assert typed_price("¥19.90", tea) == typed_price("19,90", tea) == 1990
    assert _refused("0", tea).code == "flash_bad_price"
    assert _refused("30", tea).code == "flash_price_not_lower"
    assert _refused("abc", tea).code == "flash_bad_price"


def _text(message: Any) -> str:
    assert message is not None
    return str(message.text or "")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_flash_commands_read_a_stars_price_in_stars(shop: Any, lang: str) -> None:
    await make_product(shop.db, "EBOOK", price=5000, stock=10, digital=True, stars=350)
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang=lang)
    await ada.send("/start")

    await ada.send("/flash_create sku=EBOOK price=280 stock=2 start=+1h end=+2h limit=1 groups=all")
    (sale,) = await flashsale.list_sales(shop.db)
    assert sale.stars == 280, _text(await ada.last_message())
    assert "⭐ 280" in _text(await ada.last_message())

    await ada.send(f"/flash_edit {sale.id} price=200")
    assert (await flashsale.get_sale(shop.db, sale.id)).stars == 200
    await ada.send(f"/flash_edit {sale.id} price=400")
    refusal = _text(await ada.last_message())
    assert "⭐ 350" in refusal, refusal
    assert (await flashsale.get_sale(shop.db, sale.id)).stars == 200


def test_the_command_line_reads_a_stars_price_in_stars(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)

    async def prepare() -> None:
        db = Database(url)
        try:
            await migrations.upgrade(db)
            await make_product(db, "EBOOK", price=5000, stock=10, digital=True, stars=350)
        finally:
            await db.dispose()

    async def sales() -> list[flashsale.SaleView]:
        db = Database(url)
        try:
            return await flashsale.list_sales(db)
        finally:
            await db.dispose()

    asyncio.run(prepare())
    config = str(ROOT / "config.yaml")
    create = ["--config", config, "flashsale", "create", "--sku", "EBOOK", "--price", "280", "--stock", "2"]
    assert main([*create, "--start", "+1h", "--end", "+2h"]) == 0, capsys.readouterr()
    (sale,) = asyncio.run(sales())
    assert sale.stars == 280
    assert main(["--config", config, "flashsale", "edit", str(sale.id), "--price", "19.90"]) != 0
    said = capsys.readouterr()
    assert "flash_bad_stars" in said.err  # Stars are whole
