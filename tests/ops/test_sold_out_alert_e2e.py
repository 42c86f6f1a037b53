"""The admin's stock alert when a sale takes the last unit: it said "Only 0 left (threshold 5)", as if a few were
still on the shelf. At zero it now says "Sold out" with the alert threshold, in the admin's language, and still
carries the Restock buttons; a product that is low but not gone keeps the "Low stock" wording. Through the
emulator: a real checkout takes the stock down, the sweep alerts, +10 restocks."""

from __future__ import annotations

from typing import Any

from bot.emulator.client import MessageView
from store import users
from tests.conftest import ADMIN_ID
from tests.orders.helpers import fill_cart, make_product, stock_of


def _labels(message: MessageView) -> list[str]:
    return [b.text for row in message.buttons for b in row]


async def test_last_unit_sold_alerts_sold_out_with_threshold_in_en_and_zh(shop: Any) -> None:
    await shop.client.set_flood_limits(False)
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=6)
    rice = await make_product(shop.db, "RICE-1", price=1500, stock=6)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    wang = await shop.client.user("王芳", lang="zh-hans")
    for person in (ada, wang):
        await person.send("/start")
    await users.grant_role(shop.db, wang.id, "admin", granted_by=ADMIN_ID)

    alice = await shop.client.user("Alice")
    await alice.send("/start")
    await fill_cart(shop.db, alice.id, {tea: 6, rice: 2})  # every unit of TEA-1; RICE-1 falls to 4
    await alice.send("/checkout")
    await alice.tap("Pick up: Central Store")
    await alice.tap("by card")
    assert (await stock_of(shop.db, tea), await stock_of(shop.db, rice)) == (0, 4)

    gone = await ada.bot_says("TEA-1")
    assert "Sold out (alert threshold 5)" in (gone.text or ""), gone.text
    assert "Low stock" not in (gone.text or "") and "0 left" not in (gone.text or "")
    assert _labels(gone) == ["+10", "+50", "✏️ Other amount"]
    low = await ada.bot_says("RICE-1")
    assert "Low stock" in (low.text or "") and "Only 4 left (threshold 5)" in (low.text or "")

    gone_zh = await wang.bot_says("TEA-1")
    assert "已售罄（提醒阈值 5）" in (gone_zh.text or ""), gone_zh.text
    assert "库存不足" not in (gone_zh.text or "") and "仅剩 0" not in (gone_zh.text or "")
    assert _labels(gone_zh) == ["+10", "+50", "✏️ 其他数量"]

    tapped = await wang.tap("+10", message=gone_zh)
    assert tapped.toast is not None and "库存现为 10" in (tapped.toast.text or "")
    assert await stock_of(shop.db, tea) == 10
