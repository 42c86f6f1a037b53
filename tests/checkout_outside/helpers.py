"""Shared set-up of the outside tester's checkout checks: shoppers, a fruit product, labels of a message."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.emulator.client import MessageView, UserHandle
from store.models import Category, Product
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
    """A physical product in the category whose slug is "fruit"."""
    async with shop.db.tx() as session:
        category = (await session.execute(select(Category).where(Category.slug == "fruit"))).scalar_one_or_none()
        if category is None:
            category = Category(slug="fruit", name_en="Fruit", name_zh="水果")
            session.add(category)
            await session.flush()
        product = Product(
            sku=sku,
            category_id=category.id,
            title_en="Apple",
            title_zh="苹果",
            price=price,
            currency="CNY",
            is_digital=False,
            stars_price=None,
            stock=10,
            active=True,
        )
        session.add(product)
        await session.flush()
        return product.id


async def at_summary(shop: Any, user: UserHandle, lang: str, items: dict[int, int]) -> MessageView:
    """`user` with these items in the cart, at the pickup summary ("Choose how to pay")."""
    await fill_cart(shop.db, user.id, items)
    await user.send("/checkout")
    await user.tap(PICKUP[lang])
    summary = await user.last_message()
    assert summary is not None and summary.from_bot, summary
    return summary


__all__ = ["at_summary", "fill_cart", "labels", "last_text", "make_fruit", "make_product", "shopper"]
