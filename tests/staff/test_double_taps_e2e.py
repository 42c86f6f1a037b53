"""A double tap on "Pay … by card" (checkout), "Pay now" (an unpaid order) or the admin's "Mark shipped" acts once;
the second tap gets a calm toast in the tapper's language ("Invoice already sent" / "Already done"), never an
error, an alert or a second reply. The real bot against the emulator."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from bot.emulator.client import UserHandle
from store.models import Order, OrderEvent
from tests.conftest import ADMIN_ID
from tests.delivery.helpers import bot_messages, bot_says
from tests.orders.helpers import fill_cart, make_product


async def _at_summary(shop: Any, name: str = "Alice", lang: str = "en", pickup: str = "Pick up: Central Store") -> Any:
    await shop.client.set_flood_limits(False)
    tea = await make_product(shop.db, f"TEA-{lang}", price=2500, stock=5)
    user: UserHandle = await shop.client.user(name, lang=lang)
    await user.send("/start")
    await fill_cart(shop.db, user.id, {tea: 1})
    await user.send("/checkout")
    await user.tap(pickup)
    return user


async def _count(shop: Any, query: Any) -> int:
    async with shop.db.read() as session:
        return int((await session.execute(query)).scalar_one())


def _invoices_sent(calls: list[dict[str, Any]]) -> int:
    return sum(1 for c in calls if c["ok"])


async def test_double_tap_on_pay_by_card_places_one_order_and_says_invoice_already_sent(shop: Any) -> None:
    alice = await _at_summary(shop)
    summary = await alice.last_message()
    assert summary is not None
    first, second = await asyncio.gather(alice.tap("by card", message=summary), alice.tap("by card", message=summary))
    await shop.client.settle()
    assert await _count(shop, select(func.count()).select_from(Order)) == 1
    assert _invoices_sent(await shop.client.calls("sendInvoice")) == 1, "one tap, one invoice"
    toasts = [r.toast for r in (first, second) if r.toast is not None and r.toast.text]
    assert [(t.text, t.show_alert) for t in toasts] == [("Invoice already sent", False)]
    texts = [m.text or "" for m in await alice.messages() if m.from_bot]
    assert not [t for t in texts if "Sorry" in t or "already placed" in t], texts


async def test_chinese_double_tap_on_pay_now(shop: Any) -> None:
    lilei = await _at_summary(shop, "李雷", "zh-hans", pickup="自提：中心门店")
    await lilei.tap("银行卡支付")
    await lilei.send("/orders")
    await lilei.tap("待支付")
    detail = await lilei.last_message()
    assert detail is not None
    first, second = await asyncio.gather(lilei.tap(message=detail, row=0), lilei.tap(message=detail, row=0))
    await shop.client.settle()
    toasts = [r.toast.text for r in (first, second) if r.toast is not None and r.toast.text]
    assert toasts == ["付款单已发送"]
    assert _invoices_sent(await shop.client.calls("sendInvoice")) == 2, "the checkout's and one for the double tap"


async def test_double_tap_on_mark_shipped_ships_once_and_says_already_done(shop: Any) -> None:
    alice = await _at_summary(shop, pickup="Delivery")
    await alice.send("Alice Liddell")
    await alice.send("+86 138 0000 0000")
    await alice.send("1 Rabbit Hole, Wonderland")
    await alice.tap("by card")
    assert (await alice.pay())["status"] == "paid"

    ada: UserHandle = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/admin")
    await ada.tap("Orders")
    await ada.tap("Paid, to ship")
    await ada.tap("#1")
    view = await ada.last_message()
    assert view is not None
    first, second = await asyncio.gather(ada.tap("Mark shipped", message=view), ada.tap("Mark shipped", message=view))
    await shop.client.settle()
    shipped = select(func.count()).select_from(OrderEvent).where(OrderEvent.to_status == "shipped")
    assert await _count(shop, shipped) == 1
    toasts = sorted(r.toast.text for r in (first, second) if r.toast is not None and r.toast.text)
    assert len(toasts) == 2 and toasts[0] == "Already done", toasts
    assert "cannot change" not in toasts[1]
    await bot_says(shop, alice, "has been shipped")
    await shop.client.settle()
    assert len(await bot_messages(alice, "has been shipped")) == 1, "the buyer hears about the shipment once"
