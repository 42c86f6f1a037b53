"""The admin's /stock finds a product whatever the letter case of its SKU ("/stock apl-1" for APL-1), and a SKU
nobody has is named back with how to find the product by name, in the admin's language; part of a name finds
the product too. Tester: "/stock apl-1" answered only the generic "send a SKU and a change" hint."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from bot.emulator.client import UserHandle
from store import users
from store.models import Product
from tests.conftest import ADMIN_ID
from tests.orders.helpers import make_product, stock_of


async def _admin(shop: Any, lang: str = "en") -> UserHandle:
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang=lang)
    await ada.send("/start")
    return ada


async def _said(ada: UserHandle) -> str:
    message = await ada.last_message()
    assert message is not None
    return message.text or ""


async def test_a_lowercase_sku_opens_and_changes_the_product(shop: Any) -> None:
    apple = await make_product(shop.db, "APL-1", stock=3)
    ada = await _admin(shop)
    await ada.send("/stock apl-1")
    screen = await _said(ada)
    assert "Product APL-1 (APL-1)" in screen and "In stock: 3" in screen

    await ada.send("/stock apl-1 +5")
    assert "Stock of APL-1 is now 8." in await _said(ada)
    assert await stock_of(shop.db, apple) == 8

    await ada.send("/admin")
    await ada.tap("📦 Stock")
    await ada.send("Apl-1 -2")  # the Stock section reads SKUs the same way
    assert "Stock of APL-1 is now 6." in await _said(ada)
    assert await stock_of(shop.db, apple) == 6


async def test_skus_differing_only_in_case_keep_their_own_products(shop: Any) -> None:
    await make_product(shop.db, "ab-1", stock=1)
    await make_product(shop.db, "AB-1", stock=2)
    ada = await _admin(shop)
    await ada.send("/stock ab-1")
    assert "In stock: 1" in await _said(ada)
    await ada.send("/stock AB-1")
    assert "In stock: 2" in await _said(ada)
    await ada.send("/stock Ab-1")  # neither spelling, two case-blind matches: no guess, the admin picks
    listed = await ada.last_message()
    assert listed is not None and "Products whose name contains “Ab-1”" in (listed.text or "")
    assert [b.text for row in listed.buttons for b in row][:2] == ["Product ab-1 · 1", "Product AB-1 · 2"]
    await ada.send("/stock Ab-1 +1")  # a change is never made to a guessed product
    assert "There is no product with SKU Ab-1." in await _said(ada)


async def test_an_unknown_sku_is_named_with_how_to_find_the_product(shop: Any) -> None:
    apple = await make_product(shop.db, "APL-1", stock=3)
    ada = await _admin(shop)
    await ada.send("/stock PLUM-9")
    said = await _said(ada)
    assert "There is no product with SKU PLUM-9." in said
    assert "/stock followed by part of its name" in said and "/admin → 📦 Stock" in said
    await ada.send("/stock plum-9 +5")
    assert "There is no product with SKU plum-9." in await _said(ada)
    assert await stock_of(shop.db, apple) == 3


async def test_an_unknown_sku_in_chinese(shop: Any) -> None:
    await make_product(shop.db, "APL-1", stock=3)
    li = await _admin(shop, lang="zh")
    await li.send("/stock PLUM-9")
    said = await _said(li)
    assert "没有 SKU 为 PLUM-9 的商品" in said and "/stock" in said and "📦 库存" in said


async def test_part_of_a_name_finds_the_product(shop: Any) -> None:
    apple = await make_product(shop.db, "APL-1", stock=3)
    pear = await make_product(shop.db, "PEAR-1", stock=7)
    async with shop.db.tx() as session:
        await session.execute(
            update(Product).where(Product.id == apple).values(title_en="Fuji Apples", title_zh="富士苹果")
        )
        await session.execute(update(Product).where(Product.id == pear).values(title_en="Snow Pears", title_zh="雪梨"))
    ada = await _admin(shop)
    await ada.send("/stock fuji")
    assert "Fuji Apples (APL-1)" in await _said(ada) and "In stock: 3" in await _said(ada)
    await ada.send("/stock s")  # both names contain an s: the admin picks one
    listed = await ada.last_message()
    assert listed is not None and "Products whose name contains “s”" in (listed.text or "")
    assert [b.text for row in listed.buttons for b in row][:2] == ["Fuji Apples · 3", "Snow Pears · 7"]
    await ada.tap("Snow Pears · 7", message=listed)
    assert "Snow Pears (PEAR-1)" in await _said(ada)

    li = await shop.client.user("Li", lang="zh")
    await li.send("/start")
    await users.grant_role(shop.db, li.id, "admin", granted_by=ADMIN_ID)
    await li.send("/stock 雪梨")
    assert "雪梨" in await _said(li) and "PEAR-1" in await _said(li) and "库存：7" in await _said(li)
