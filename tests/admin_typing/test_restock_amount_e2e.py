"""The Restock "✏️ Other amount" prompt reads "1,000" (and full-width digits) like any other number; a refusal
says what was wrong and gives an example, in the admin's language."""

from __future__ import annotations

from typing import Any

from bot.emulator.client import UserHandle
from tests.admin_typing.helpers import apple_and_admin, reply
from tests.orders.helpers import stock_of


async def _other_amount(shop: Any, lang: str, label: str) -> tuple[int, UserHandle]:
    """FRU-APPLE with 3 units, and the admin at its Restock "Other amount" prompt: the apple's id and the admin."""
    apple, ada = await apple_and_admin(shop, 3, lang)
    await ada.send("/stock FRU-APPLE")
    await ada.tap(label)
    return apple, ada


async def test_a_thousands_comma_in_english(shop: Any) -> None:
    apple, ada = await _other_amount(shop, "en", "✏️ Other amount")
    said = await reply(ada, "1.5")
    assert "“1.5” is not a whole number" in said and "whole number from 1 to 100000, e.g. 10 or 1,000" in said
    said = await reply(ada, "1,000")
    assert "Restocked" in said and "3 → 1003" in said
    assert await stock_of(shop.db, apple) == 1003


async def test_a_thousands_comma_in_chinese(shop: Any) -> None:
    apple, li = await _other_amount(shop, "zh", "✏️ 其他数量")
    said = await reply(li, "1,00")
    assert "“1,00”中的逗号位置不对" in said and "例如 10 或 1,000" in said
    assert "3 → 2003" in await reply(li, "２，０００")
    assert await stock_of(shop.db, apple) == 2003
