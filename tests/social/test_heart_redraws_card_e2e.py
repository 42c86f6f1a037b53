"""Outside tester: a card's heart redrew only the heart, so a card drawn before the cart was cleared went on saying
"In your cart: 1". The heart now redraws the whole card, as the card's other buttons do: cart count and stock as
they are now, the heart as it is now."""

from __future__ import annotations

import pytest

from bot.emulator.client import MessageView
from bot.sandbox import Stack

pytestmark = pytest.mark.seeded

WORDS = {
    "en": {
        "in_cart": "In your cart: 1",
        "clear": "🗑 Clear cart",
        "wish": "Save to wishlist",
        "wished": "In your wishlist",
    },
    "zh": {"in_cart": "购物车中：1", "clear": "🗑 清空购物车", "wish": "加入心愿单", "wished": "已在心愿单"},
}


def _shown(message: MessageView | None) -> str:
    assert message is not None
    return (message.text or "") + (message.caption or "")


def _labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [button.text for row in message.buttons for button in row]


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_heart_redraws_a_card_drawn_before_the_cart_was_cleared(shop: Stack, lang: str) -> None:
    words = WORDS[lang]
    await shop.client.set_flood_limits(False)
    bob = await shop.client.user("Bob", lang=lang)
    await bob.send("/start")
    await bob.open_deeplink("p_TEA-PUER")
    card = await bob.last_message()
    assert card is not None
    await bob.tap(row=1, col=0, message=card)  # Add 1 (the quantity picker is the first row)
    drawn = next(m for m in await bob.messages() if m.message_id == card.message_id)
    assert words["in_cart"] in _shown(drawn), _shown(drawn)

    await bob.send("/cart")
    await bob.tap(words["clear"])

    await bob.tap(words["wish"], message=drawn)
    redrawn = next(m for m in await bob.messages() if m.message_id == card.message_id)
    assert words["in_cart"] not in _shown(redrawn), _shown(redrawn)
    assert any(words["wished"] in label for label in _labels(redrawn)), _labels(redrawn)
