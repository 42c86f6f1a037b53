"""Item 6: a Stars purchase of digital goods hands them over in the chat right after payment (a code, a file and a
link from the demo catalog), exactly once even when Telegram confirms the payment twice, and "Send again" from
/orders sends them again. End to end through the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from tests.delivery.helpers import bot_messages, bot_says, orders_of, outbox_rows, product_id, shopper, text_of
from tests.orders.helpers import fill_cart

pytestmark = pytest.mark.seeded

GIFT_CODE = "GC50-DEMO-7Q4K-M2XP"
VIP_LINK = "https://example.com/groupcart/vip/activate?plan=month"


async def _buy_with_stars(shop: Any, user: Any, cart: dict[str, int], stars: int, pay: str = "Pay") -> None:
    await fill_cart(shop.db, user.id, {await product_id(shop.db, sku): qty for sku, qty in cart.items()})
    await user.send("/checkout")
    await user.tap(f"{pay} ⭐ {stars}")
    paid = await user.pay(duplicate=True)  # Telegram may deliver successful_payment twice
    assert paid["status"] == "paid", paid


async def test_stars_digital_goods_arrive_after_payment_once_and_can_be_sent_again(shop: Any) -> None:
    alice = await shopper(shop)
    # ¥50 gift card (a code, 350 ⭐), the recipe e-book (a PDF, 70 ⭐), a month of VIP (a link, 100 ⭐)
    await _buy_with_stars(shop, alice, {"DIG-GIFT50": 1, "DIG-RECIPES": 1, "DIG-VIP-MONTH": 1}, 520)

    code = await bot_says(shop, alice, GIFT_CODE)
    assert "Payment received" in text_of(code) and "Shop gift card, ¥50" in text_of(code)
    book = await bot_says(shop, alice, "Home cooking recipe e-book")
    assert book.document is not None and book.document.file_name == "home-cooking-recipes.pdf"
    assert book.document.data.startswith(b"%PDF")
    vip = await bot_says(shop, alice, "VIP membership, 1 month")
    assert VIP_LINK in text_of(vip) and vip.button("Open").url == VIP_LINK

    await shop.client.settle()
    assert len(await bot_messages(alice, GIFT_CODE)) == 1, "a payment confirmed twice hands the goods over once"
    assert len(await bot_messages(alice, "Payment received")) == 1
    assert not await bot_messages(alice, "ships"), "a digital order never 'ships'"
    assert len(await outbox_rows(shop.db, "orders.goods")) == 3
    (order,) = await orders_of(shop.db, alice.id)
    assert order.status == "delivered" and order.currency == "XTR"

    await alice.send("/orders")
    await alice.tap("Delivered")  # handed over on payment, nothing to ship
    detail = await alice.last_message()
    assert detail is not None and any("Send my purchase again" in b.text for row in detail.buttons for b in row)
    again = await alice.tap("Send my purchase again")
    assert again.toast is not None and "Sent again" in (again.toast.text or "")
    resent = await bot_says(shop, alice, GIFT_CODE, count=2)
    assert "sent again" in text_of(resent) and "Payment received" not in text_of(resent)
    await bot_says(shop, alice, "Home cooking recipe e-book", count=2)
    # A double tap is one resend.
    twice = await alice.tap("Send my purchase again", message=detail)
    assert twice.toast is not None and "Already on its way" in (twice.toast.text or "")
    await shop.client.settle()
    assert len(await bot_messages(alice, GIFT_CODE)) == 2


async def test_chinese_shopper_gets_the_code_in_chinese(shop: Any) -> None:
    lilei = await shopper(shop, "李雷", lang="zh-hans")
    await _buy_with_stars(shop, lilei, {"DIG-GIFT100": 1}, 700, pay="支付")
    message = await bot_says(shop, lilei, "GC100-DEMO-9H3T-W8ZN")
    assert "已收到付款" in text_of(message) and "商城礼品卡 100元" in text_of(message) and "卡密" in text_of(message)


async def test_send_again_refuses_unpaid_and_other_peoples_orders(shop: Any) -> None:
    from bot.callbacks.orders import OrderCB
    from tests.orders.test_checkout_e2e import _forged_tap

    alice = await shopper(shop)
    await fill_cart(shop.db, alice.id, {await product_id(shop.db, "DIG-GIFT50"): 1})
    await alice.send("/checkout")
    await alice.tap("Pay ⭐ 350")  # placed, not paid
    await alice.send("/orders")
    await alice.tap("Awaiting payment")
    detail = await alice.last_message()
    assert detail is not None and not any("Send my purchase" in b.text for row in detail.buttons for b in row)
    calls = await _forged_tap(shop, alice.id, OrderCB(action="resend", order_id=1).pack())
    answers = [p for name, p in calls if name == "answerCallbackQuery"]
    assert answers and "nothing to send again" in answers[0]["text"]
    assert (await alice.pay())["status"] == "paid"
    await bot_says(shop, alice, GIFT_CODE)
    mallory = await shopper(shop, "Mallory")
    calls = await _forged_tap(shop, mallory.id, OrderCB(action="resend", order_id=1).pack())
    answers = [p for name, p in calls if name == "answerCallbackQuery"]
    assert answers and "not found" in answers[0]["text"]
    assert await bot_messages(mallory, GIFT_CODE) == []
