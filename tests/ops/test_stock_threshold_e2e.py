"""An admin sets one product's low-stock alert by taps through the emulator (/admin -> Stock -> the product ->
"Low-stock alert" -> +5 -> Save), a typed word is refused in their language, and a sale that takes that product
below its own threshold alerts the admin exactly once, with the Restock buttons, while another product that
fell below the same number but not below the shop's default stays quiet."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.emulator.client import MessageView, UserHandle
from store import audit, stock_alerts
from store.models import OutboxMessage
from tests.conftest import ADMIN_ID
from tests.orders.helpers import fill_cart, make_product, stock_of


def _labels(message: MessageView) -> list[str]:
    return [b.text for row in message.buttons for b in row]


async def _current(user: UserHandle, message: MessageView) -> MessageView:
    """The message as it is now (taps edit it in place)."""
    return next(m for m in await user.messages() if m.message_id == message.message_id)


async def _low_stock_alerts(shop: Any) -> list[int]:
    async with shop.db.read() as session:
        rows = await session.execute(
            select(OutboxMessage.params).where(OutboxMessage.template == stock_alerts.LOW_STOCK_TEMPLATE)
        )
        return [int(params["product_id"]) for (params,) in rows]


async def test_admin_sets_a_products_threshold_by_taps_and_hears_once(shop: Any) -> None:
    await shop.client.set_flood_limits(False)
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=12)
    coffee = await make_product(shop.db, "COF-1", price=3000, stock=8)  # the shop default (5) applies
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    await ada.send("/admin")
    await ada.tap("📦 Stock")
    section = await ada.last_message()
    assert section is not None and "least stock first" in (section.text or "")
    assert "Product COF-1 · 8" in _labels(section) and "Product TEA-1 · 12" in _labels(section)

    await ada.tap("Product TEA-1 · 12", message=section)
    card = await _current(ada, section)
    assert "In stock: 12" in (card.text or "") and "below 5 (the shop default)" in (card.text or "")
    assert _labels(card) == ["+10", "+50", "✏️ Other amount", "🔔 Low-stock alert: 5 (default)", "⬅️ Back"]

    await ada.tap("🔔 Low-stock alert: 5 (default)", message=card)
    stepper = await _current(ada, card)
    assert "falls below: 5" in (stepper.text or "")
    assert _labels(stepper) == ["−5", "−1", "+1", "+5", "✅ Save 5", "↩️ Use shop default (5)", "⬅️ Back"]
    await ada.send("lots")  # typing is accepted too, but only a number
    assert "whole number from 0 to 100000" in ((await ada.last_message()).text or "")  # type: ignore[union-attr]
    await ada.tap("+5", message=stepper)
    stepper = await _current(ada, stepper)
    assert "falls below: 10" in (stepper.text or "") and "✅ Save 10" in _labels(stepper)
    # A double tap on Save: one save, one redraw (a second identical edit would be refused by Telegram).
    taps = await asyncio.gather(*(ada.tap("✅ Save 10", message=stepper) for _ in range(2)))
    toasts = [tap.toast.text for tap in taps if tap.toast is not None and tap.toast.text]
    assert toasts == ["TEA-1: low-stock alert below 10."]
    card = await _current(ada, stepper)
    assert "below 10 (set for this product; shop default 5)" in (card.text or "")
    assert "🔔 Low-stock alert: 10" in _labels(card)

    alice = await shop.client.user("Alice")
    await alice.send("/start")
    await fill_cart(shop.db, alice.id, {tea: 3, coffee: 3})
    await alice.send("/checkout")
    await alice.tap("Pick up: Central Store")
    await alice.tap("by card")
    assert (await stock_of(shop.db, tea), await stock_of(shop.db, coffee)) == (9, 5)

    alert = await ada.bot_says("Low stock")
    assert "TEA-1" in (alert.text or "") and "Only 9 left (threshold 10)" in (alert.text or "")
    assert _labels(alert) == ["+10", "+50", "✏️ Other amount"]
    await asyncio.sleep(2.5)  # the sweep runs every second here: give it time to (wrongly) say more
    await shop.client.settle()
    assert await _low_stock_alerts(shop) == [tea]  # once, for TEA-1 only: COF-1 at 5 is not below the default
    low = [m for m in await ada.messages() if m.from_bot and "Low stock" in (m.text or "")]
    assert len(low) == 1

    entries = [e for e in await audit.latest(shop.db) if e.action == "stock.threshold"]
    assert [(e.actor_id, e.target, e.before, e.after) for e in entries] == [
        (ADMIN_ID, "product:TEA-1", {"threshold": None}, {"threshold": 10})
    ]


async def test_typed_threshold_and_shop_default_in_chinese(shop: Any) -> None:
    await shop.client.set_flood_limits(False)
    oolong = await make_product(shop.db, "OOLONG-7", stock=30)
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang="zh-hans")
    await ada.send("/start")
    await ada.send("/stock OOLONG-7")
    card = await ada.last_message()
    assert card is not None and "库存：30" in (card.text or "")
    await ada.tap("🔔 库存提醒：5（默认）", message=card)
    await ada.send("-3")
    refused = await ada.last_message()
    assert refused is not None and "请输入 0 到 100000 之间的整数" in (refused.text or "")
    await ada.send("12")
    done = await ada.last_message()
    assert done is not None and "OOLONG-7：库存低于 12 时提醒。" in (done.text or "")
    assert "本商品单独设置" in (done.text or "")
    await ada.send("7")  # no longer typing a threshold: this is not taken for one
    assert await stock_alerts.threshold_of(shop.db, oolong, 5) == 12
    await ada.tap("🔔 库存提醒：12", message=done)
    stepper = await _current(ada, done)
    back = await ada.tap("↩️ 使用店铺默认（5）", message=stepper)
    assert back.toast is not None and "已恢复店铺默认（5）" in back.toast.text
    card = await _current(ada, stepper)
    assert "（店铺默认）" in (card.text or "")


async def test_an_older_threshold_editor_cannot_overwrite_a_newer_value(shop: Any) -> None:
    """D3: two editors of one product open (two screens, or two admins); one is set to 6, then the other saves
    10; Save 6 on the first is refused with the value now, saves nothing, and its message becomes the current
    screen. A Save drawn before Saves carried what they replace only opens the current screen."""
    from bot.callbacks.ops import StockCB

    await shop.client.set_flood_limits(False)
    tea = await make_product(shop.db, "TEA-1", stock=30)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    editors = []
    for _ in range(2):
        await ada.send("/stock TEA-1")
        card = await ada.last_message()
        assert card is not None
        await ada.tap("🔔 Low-stock alert: 5 (default)", message=card)
        editors.append(await _current(ada, card))
    older, newer = editors
    await ada.tap("+1", message=older)
    older = await _current(ada, older)
    assert "✅ Save 6" in _labels(older)

    await ada.tap("+5", message=newer)
    saved = await ada.tap("✅ Save 10", message=await _current(ada, newer))
    assert saved.toast is not None and "below 10" in saved.toast.text

    refused = await ada.tap("✅ Save 6", message=older)
    assert refused.toast is not None and refused.toast.show_alert
    assert "was changed to 10 after this editor was opened" in refused.toast.text
    assert await stock_alerts.threshold_of(shop.db, tea, 5) == 10
    current = await _current(ada, older)
    assert "In stock: 30" in (current.text or "") and "🔔 Low-stock alert: 10" in _labels(current)

    await asyncio.sleep(1.1)  # past the double-tap window
    await ada.tap_data(StockCB(a="save", p=tea, v=3).pack(), message=older)
    assert "older screen" in ((await ada.toasts())[-1].text or "")
    assert await stock_alerts.threshold_of(shop.db, tea, 5) == 10
    entries = [e for e in await audit.latest(shop.db) if e.action == "stock.threshold"]
    assert [(e.before, e.after) for e in entries] == [({"threshold": None}, {"threshold": 10})]
