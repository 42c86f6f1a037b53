"""Issue 14, quick correctness: repeated taps are one tap, an order has one live invoice, plurals read right
and times carry their zone. The real bot against the emulator."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from bot import i18n
from bot.emulator.client import UserHandle
from store.models import CartItem
from tests.orders.helpers import fill_cart, make_product


async def started(shop: Any, name: str = "Alice", lang: str = "en") -> UserHandle:
    user: UserHandle = await shop.client.user(name, lang=lang)
    await user.send("/start")
    return user


async def in_cart(shop: Any, user_id: int) -> int:
    async with shop.db.read() as session:
        rows = (await session.execute(select(CartItem.quantity).where(CartItem.user_id == user_id))).scalars()
        return sum(rows)


@pytest.mark.seeded
async def test_a_double_click_on_add_adds_one(shop: Any) -> None:
    alice = await started(shop)
    await alice.open_deeplink("p_TEA-PUER")
    card = await alice.last_message()
    assert card is not None and any("Add 1" in b.text for row in card.buttons for b in row)
    await asyncio.gather(alice.tap("Add 1", message=card), alice.tap("Add 1", message=card))
    await shop.client.settle()
    assert await in_cart(shop, alice.id) == 1, "two taps of one button within a second are one tap"
    # Both taps were answered (the strict check fails the test otherwise); one toast says what happened.
    assert sum("Added 1" in (toast.text or "") for toast in await alice.toasts()) == 1


async def _pending_order(shop: Any) -> UserHandle:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    alice = await started(shop)
    await fill_cart(shop.db, alice.id, {tea: 1})
    await alice.send("/checkout")
    await alice.tap("Pick up: Central Store")
    await alice.tap("by card")
    return alice


async def _live_invoices(user: UserHandle) -> list[Any]:
    return [m for m in await user.messages() if m.from_bot and m.invoice is not None]


async def test_a_new_invoice_withdraws_the_old_one_and_a_double_click_sends_one(shop: Any) -> None:
    alice = await _pending_order(shop)
    first = await _live_invoices(alice)
    assert len(first) == 1
    await alice.send("/orders")
    await alice.tap("Awaiting payment")
    detail = await alice.last_message()
    assert detail is not None
    # A double-click on "Pay now": one new invoice, and the checkout's invoice is gone from the chat.
    await asyncio.gather(alice.tap("Pay now", message=detail), alice.tap("Pay now", message=detail))
    await shop.client.settle()
    live = await _live_invoices(alice)
    assert len(live) == 1, f"one order, one live invoice; saw {len(live)}"
    assert live[0].message_id != first[0].message_id
    sent = [c for c in await shop.client.calls("sendInvoice") if c["ok"]]
    assert len(sent) == 2, "the checkout's invoice and one for the double-click"
    assert (await alice.pay(live[0]))["status"] == "paid"


async def test_english_plurals_and_chinese_counters(shop: Any) -> None:
    alice = await started(shop)
    await alice.send("/checkin")
    done = await alice.last_message()
    text = done.text if done is not None else None
    assert text is not None and "Streak: 1 day." in text and "day(s)" not in text
    lilei = await started(shop, "李雷", "zh-hans")
    await lilei.send("/checkin")
    zh = await lilei.last_message()
    assert zh is not None and "已连续 1 天" in (zh.text or "")


def test_every_plural_selector_has_one_form_per_category_in_both_languages() -> None:
    assert i18n.plural_problems() == []
    en = [key for key, text in i18n.catalogue("en").items() if "(s)" in text]
    assert en == [], "English texts that dodge plurals with (s)"
    assert i18n.t("en", "growth.checkin_done", streak=2, points=5, balance=9).count("2 days") == 1
    assert "1 day." in i18n.t("en", "growth.checkin_done", streak=1, points=5, balance=9)


async def test_times_carry_their_zone(shop: Any) -> None:
    alice = await _pending_order(shop)
    await alice.send("/orders")
    await alice.tap("Awaiting payment")
    detail = await alice.last_message()
    assert detail is not None and "Items reserved until" in (detail.text or "")
    assert "UTC+8" in (detail.text or ""), "the shop's clock is named (config: Asia/Shanghai)"
