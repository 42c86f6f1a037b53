"""The cart screen prices a digital line as it is paid: in Telegram Stars (Telegram's rule for digital goods), and
its totals are per currency, so the yuan subtotal never counts a digital line. English and Chinese, and after a
➕ tap (the redrawn cart). End to end through the emulator."""

from __future__ import annotations

import pytest

from bot.emulator.client import MessageView
from bot.sandbox import Stack
from tests.delivery.helpers import product_id, shopper, text_of
from tests.orders.helpers import fill_cart

pytestmark = pytest.mark.seeded

# FRU-APPLE ¥29.90; DIG-GIFT50 ¥50.00 or 350 ⭐; DIG-RECIPES 70 ⭐.


def _priced(text: str) -> str:
    """The cart without the gift card's own title (which names its yuan value)."""
    return text.replace("Shop gift card, ¥50", "")


def _cart_text(message: MessageView | None) -> str:
    assert message is not None
    return text_of(message)


async def test_the_cart_shows_digital_lines_in_stars_and_totals_per_currency(shop: Stack) -> None:
    alice = await shopper(shop)
    apple, gift = await product_id(shop.db, "FRU-APPLE"), await product_id(shop.db, "DIG-GIFT50")
    await fill_cart(shop.db, alice.id, {apple: 2, gift: 1})
    await alice.send("/cart")
    text = _cart_text(await alice.last_message())
    gift_line = next(line for line in text.splitlines() if "Shop gift card" in line)
    assert gift_line.endswith("— ⭐ 350"), gift_line
    assert "Fuji apples" in text and "¥59.80" in text, text
    assert "¥109.80" not in text, "the yuan total must not count the digital line"
    assert "⭐ 350" in text.split(gift_line)[1], "a Stars total of its own"

    cart = await alice.last_message()
    assert cart is not None
    row = next(i for i, r in enumerate(cart.buttons) if any("gift" in b.text.lower() for b in r))
    await alice.tap(row=row, col=2, message=cart)  # ➕ on the gift card line
    text = _cart_text(next(m for m in await alice.messages() if m.message_id == cart.message_id))
    gift_line = next(line for line in text.splitlines() if "Shop gift card" in line)
    assert gift_line.endswith("— ⭐ 700"), gift_line
    assert "¥59.80" in text and "¥159.80" not in text and "¥" not in _priced(text).replace("¥59.80", ""), text


async def test_a_digital_only_cart_is_all_stars_in_chinese(shop: Stack) -> None:
    li = await shopper(shop, "李雷", lang="zh-hans")
    await fill_cart(
        shop.db, li.id, {await product_id(shop.db, "DIG-GIFT50"): 1, await product_id(shop.db, "DIG-RECIPES"): 2}
    )
    await li.send("/cart")
    text = _cart_text(await li.last_message())
    assert "⭐ 350" in text and "⭐ 140" in text and "⭐ 490" in text, text
    assert "¥" not in text, text
