"""/admin -> Stock, typed changes as people write them: a thousands comma, a full-width plus (a Chinese
keyboard's default), a typographic minus or an en dash, no sign at all (adds, and says so), +0 (nothing changed,
not "bad input"). A refusal says what was wrong and gives an example with the product's SKU, in the admin's
language. Tester: all of these got the generic "Please send a SKU and a change"."""

from __future__ import annotations

from typing import Any

from tests.admin_typing.helpers import apple_in_stock_section, in_stock_section, reply
from tests.orders.helpers import make_product, stock_of


async def test_number_formats_in_english(shop: Any) -> None:
    apple, ada = await apple_in_stock_section(shop, 40)

    said = await reply(ada, "FRU-APPLE +1,000")
    assert "Stock of FRU-APPLE is now 1040. Added 1000 (it was 40)." in said
    assert "Send the next change, or /cancel to stop." in said
    assert "Stock of FRU-APPLE is now 1045. Added 5 (it was 1040)." in await reply(ada, "FRU-APPLE ＋5")
    assert "Stock of FRU-APPLE is now 1042. Removed 3 (it was 1045)." in await reply(ada, "FRU-APPLE −3")
    assert "Stock of FRU-APPLE is now 1039. Removed 3 (it was 1042)." in await reply(ada, "FRU-APPLE –3")
    # No sign: added, as a bare number at the Restock prompt is, and the answer says it was added.
    assert "Stock of FRU-APPLE is now 1044. Added 5 (it was 1039)." in await reply(ada, "FRU-APPLE 5")
    assert await stock_of(shop.db, apple) == 1044

    said = await reply(ada, "FRU-APPLE +0")
    assert "Nothing changed: a change of 0 leaves FRU-APPLE at 1044." in said and "Please send" not in said

    said = await reply(ada, "FRU-APPLE +1.5")
    assert "“+1.5” is not a whole number" in said and "FRU-APPLE +5 to add 5" in said
    said = await reply(ada, "FRU-APPLE +1,00")
    assert "In “+1,00” the commas are not between groups of three digits" in said and "FRU-APPLE -3" in said
    said = await reply(ada, "FRU-APPLE +lots")
    assert "“+lots” is not a number." in said and "FRU-APPLE +5" in said
    assert await stock_of(shop.db, apple) == 1044


async def test_number_formats_in_chinese(shop: Any) -> None:
    apple, li = await apple_in_stock_section(shop, 40, "zh")

    assert "FRU-APPLE 的库存现在是 1040。增加了 1000（原为 40）。" in await reply(li, "FRU-APPLE ＋1，000")
    assert "FRU-APPLE 的库存现在是 1035。减少了 5（原为 1040）。" in await reply(li, "FRU-APPLE －５")
    assert "没有变化：变动为 0，FRU-APPLE 的库存仍是 1035。" in await reply(li, "FRU-APPLE ＋0")
    said = await reply(li, "FRU-APPLE ＋1.5")
    assert "“+1.5”不是整数" in said and "FRU-APPLE +5" in said
    assert await stock_of(shop.db, apple) == 1035


async def test_a_name_with_a_number_still_finds_the_product(shop: Any) -> None:
    """Words with a number ("PHN 15", as "iphone 15") where the first is no SKU of ours: a name, not a change."""
    await make_product(shop.db, "PHN-15", stock=2)
    ada = await in_stock_section(shop)
    said = await reply(ada, "PHN 15")
    assert "There is no product with SKU" not in said and "Added" not in said
