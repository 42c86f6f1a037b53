"""Typed stock changes go on after a success until /cancel or a tap elsewhere. Tester: after "Stock of FRU-APPLE
is now 45." the next "FRU-APPLE -2" went to the shopping assistant ("Did you mean ...")."""

from __future__ import annotations

from typing import Any

from tests.admin_typing.helpers import in_stock_section, reply
from tests.orders.helpers import make_product, stock_of


async def test_a_batch_of_changes_until_cancel(shop: Any) -> None:
    apple = await make_product(shop.db, "FRU-APPLE", stock=40)
    pear = await make_product(shop.db, "FRU-PEAR", stock=10)
    ada = await in_stock_section(shop)
    assert "Stock of FRU-APPLE is now 45." in await reply(ada, "FRU-APPLE +5")
    assert "Stock of FRU-APPLE is now 43." in await reply(ada, "FRU-APPLE -2")
    assert "Stock of FRU-PEAR is now 7." in await reply(ada, "FRU-PEAR -3")
    assert "Stock adjustment cancelled." in await reply(ada, "/cancel")
    await ada.send("FRU-APPLE +1")
    assert (await stock_of(shop.db, apple), await stock_of(shop.db, pear)) == (43, 7)


async def test_a_tap_elsewhere_ends_the_batch_in_chinese(shop: Any) -> None:
    apple = await make_product(shop.db, "FRU-APPLE", stock=40)
    li = await in_stock_section(shop, "zh")
    assert "FRU-APPLE 的库存现在是 45。" in await reply(li, "FRU-APPLE +5")
    assert "FRU-APPLE 的库存现在是 44。" in await reply(li, "FRU-APPLE -1")
    await li.tap("⬅️ 返回")  # back to the /admin menu: typing is over
    await li.send("FRU-APPLE +1")
    assert await stock_of(shop.db, apple) == 44
