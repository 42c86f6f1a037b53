"""Shared set-up of the outside tester's checkout checks: shoppers, a fruit product, labels of a message."""

from __future__ import annotations

from typing import Any

from bot.emulator.client import MessageView, UserHandle
from tests.orders.helpers import fill_cart, last_text, make_product

LANG_CODES = {"en": "en", "zh": "zh-hans"}
PICKUP = {"en": "Pick up: Central Store", "zh": "自提："}


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [button.text for row in message.buttons for button in row]


async def shopper(shop: Any, name: str, lang: str) -> UserHandle:
    await shop.client.set_flood_limits(False)  # the test types faster than a person
    user: UserHandle = await shop.client.user(name, lang=LANG_CODES[lang])
    await user.send("/start")
    return user


async def make_fruit(shop: Any, sku: str = "FRUIT-APPLE", price: int = 2000) -> int:
    """A physical product (an apple) in the category whose slug is "fruit"."""
    return await make_product(shop.db, sku, price=price, category=("fruit", "Fruit", "水果"), titles=("Apple", "苹果"))


async def at_summary(shop: Any, user: UserHandle, lang: str, items: dict[int, int]) -> MessageView:
    """`user` with these items in the cart, at the pickup summary ("Choose how to pay")."""
    await fill_cart(shop.db, user.id, items)
    await user.send("/checkout")
    await user.tap(PICKUP[lang])
    summary = await user.last_message()
    assert summary is not None and summary.from_bot, summary
    return summary


__all__ = ["at_summary", "fill_cart", "labels", "last_text", "make_fruit", "make_product", "shopper"]
