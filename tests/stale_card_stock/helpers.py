"""Shared set-up: shoppers, a card drawn before the product's stock moved, the moves themselves (a checkout
reservation by another shopper, an admin's Restock tap, an admin's price change)."""

from __future__ import annotations

from typing import Any

from bot.emulator.client import ChatHandle, MessageView, UserHandle
from store import cart, catalog
from store.catalog import ProductRow, upsert_products
from tests.checkout_outside.helpers import shopper
from tests.conftest import ADMIN_ID
from tests.orders.helpers import fill_cart, make_product, stock_of

SKU = "TEA-1"
TITLE = {"en": "Product TEA-1", "zh": "商品 TEA-1"}
ADD_1 = {"en": "Add 1", "zh": "（1 件）"}  # the private card's "🛒 Add 1 to cart"
ADD_GROUP = {"en": "Add to cart", "zh": "加入购物车"}
ADDED = {"en": "✅ Added 1 × Product TEA-1", "zh": "✅ 已加入 1 件「商品 TEA-1」"}
ADDED_GROUP = {"en": "✅ Added Product TEA-1 to your cart", "zh": "✅ 「商品 TEA-1」已加入您的购物车"}
STALE = {"en": "This product changed in the meantime", "zh": "该商品信息已更新"}
LEFT = {"en": "📦 {n} left", "zh": "📦 剩余 {n} 件"}
SOLD_OUT_LINE = {"en": "❌ Sold out", "zh": "❌ 已售罄"}
SOLD_OUT = {"en": "Sorry, this product is sold out.", "zh": "抱歉，该商品已售罄。"}


async def tea(shop: Any, stock: int = 5) -> int:
    return await make_product(shop.db, SKU, price=2500, stock=stock)


async def private_card(user: UserHandle) -> MessageView:
    """The product's card in the user's private chat (the product link)."""
    await user.open_deeplink(f"p_{SKU}")
    card = await user.last_message()
    assert card is not None and card.from_bot, card
    return card


async def group_card(user: UserHandle, group: ChatHandle) -> MessageView:
    """The product's card on the group's catalog message."""
    await user.send("/catalog", chat=group)
    await user.tap("Test", chat=group)
    await user.tap("Product TEA-1", chat=group)
    card = await user.last_message(group)
    assert card is not None and "Product TEA-1" in (card.text or ""), card
    return card


async def another_buys(shop: Any, product_id: int, quantity: int = 1, name: str = "Bob") -> None:
    """Another shopper checks out `quantity` units: reserved at once (the stock goes down)."""
    before = await stock_of(shop.db, product_id)
    buyer = await shopper(shop, name, "en")
    await fill_cart(shop.db, buyer.id, {product_id: quantity})
    await buyer.send("/checkout")
    await buyer.tap("Pick up: Central Store")
    await buyer.tap("by card")
    assert await stock_of(shop.db, product_id) == before - quantity


async def admin_restocks(shop: Any, product_id: int) -> None:
    """The admin's "+10" on the product's stock screen."""
    before = await stock_of(shop.db, product_id)
    ada = await _admin(shop)
    await ada.send(f"/stock {SKU}")
    screen = await ada.last_message()
    assert screen is not None and SKU in (screen.text or ""), screen
    await ada.tap("+10", message=screen)
    assert await stock_of(shop.db, product_id) == before + 10


async def _admin(shop: Any) -> UserHandle:
    await shop.client.set_flood_limits(False)
    ada: UserHandle = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    return ada


async def admin_reprices(shop: Any, price: int) -> None:
    """What the admin's catalog import does: the same product at another price."""
    item = await catalog.get_product_by_sku(shop.db, SKU)
    assert item is not None
    row = ProductRow(
        sku=SKU,
        title_en=item.title_en,
        title_zh=item.title_zh,
        category="test",
        price=price,
        currency=item.currency,
        stock=item.stock,
    )
    async with shop.db.tx() as session:
        await upsert_products(session, [row])


async def in_cart(shop: Any, user: UserHandle, product_id: int) -> int:
    return await cart.quantity_in_cart(shop.db, user.id, product_id)


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [button.text for row in message.buttons for button in row]
