"""Issue 14, the admin's flash sale from chat by taps: the product found by name, price from a discount button,
units, limit, starting now, duration; the card reaches the group and people can buy. English and Chinese."""

from __future__ import annotations

from typing import Any

from bot.emulator.client import MessageView
from store import flashsale
from tests.conftest import ADMIN_ID
from tests.flashsale.helpers import make_product, product_stock


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [b.text for row in message.buttons for b in row]


def text_of(message: MessageView | None) -> str:
    assert message is not None
    return message.text or ""


async def test_admin_creates_a_flash_sale_starting_now_by_taps(shop: Any) -> None:
    product_id = await make_product(shop.db, "RICE-1", price=9900, stock=40)  # "Product RICE-1", ¥99.00
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    alice = await shop.client.user("Alice")
    group = await shop.client.group("Neighbours", members=[alice], bot_admin=True)
    for person in (ada, alice):
        await person.send("/start")

    await ada.send("/admin")
    await ada.tap("New flash sale")
    await ada.send("rice")  # found by name
    price = await ada.last_message()
    assert "sells at ¥99.00" in text_of(price)
    assert "−20% · ¥79.20" in labels(price)
    for label in ("−20% · ¥79.20", "10", "1", "Now", "1 h"):
        await ada.tap(label)
    summary = await ada.last_message()
    assert summary is not None and summary.message_id == price.message_id
    assert "¥79.20" in text_of(summary) and "Starts: now" in text_of(summary) and "UTC+8" in text_of(summary)
    await ada.tap("Create flash sale")
    assert "scheduled" in text_of(await ada.last_message())
    (sale,) = await flashsale.list_sales(shop.db)
    assert (sale.price, sale.stock, sale.per_user_limit) == (7920, 10, 1)
    assert await product_stock(shop.db, product_id) == 30

    async def card() -> MessageView | None:
        found = [m for m in await group.messages() if m.from_bot and "Flash sale" in (m.text or "")]
        return found[-1] if found else None

    posted = await shop.client.wait_for(card, timeout=10)
    assert "¥79.20" in text_of(posted)
    won = await alice.tap(message=posted, chat=group)
    assert won.toast is not None and "You got one" in (won.toast.text or "")


async def test_chinese_admin_and_stale_buttons(shop: Any) -> None:
    await make_product(shop.db, "RICE-1", price=9900, stock=40)
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang="zh-hans")
    await ada.send("/start")
    await ada.send("/flash_new")
    first = await ada.last_message()
    assert "新建秒杀" in text_of(first)
    await ada.tap("商品 RICE-1")
    assert "秒杀价" in text_of(await ada.last_message())
    await ada.send("abc")  # a typed price it cannot read: told in Chinese
    assert "价格" in text_of(await ada.last_message())
    await ada.send("88")
    stock = await ada.last_message()
    assert "拿出多少件" in text_of(stock)
    await ada.tap("停止设置")
    assert "未创建秒杀" in text_of(await ada.last_message())
    assert await flashsale.list_sales(shop.db) == []
