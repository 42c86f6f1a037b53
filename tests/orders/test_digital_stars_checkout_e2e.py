"""Telegram's rule at the normal checkout: digital goods are paid in Telegram Stars only.

- A cart of digital products only: no delivery question, only "Pay ⭐ N" (no card, no pay on pickup, no coupon or
  points, which are money discounts); the invoice is in XTR and once paid the goods arrive and the order is
  delivered.
- A mixed cart: the physical items are checked out first (card or pickup, as before) and the shopper is told, in
  their language, that the digital items are paid separately in Stars and stay in the cart; the placed order
  offers "Check out digital items", a second, Stars-only order. Two orders, each with its own lines; stock moves
  once per unit and the cart empties only as each order is placed.
- A digital product without a Star price is not for sale: its card says so (en/zh) with no add button, and a cart
  still holding it is refused at checkout.

End to end through the emulator, on SQLite and PostgreSQL where stock and money move.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.config import Settings
from bot.emulator.client import MessageView, UserHandle
from bot.emulator.server import EmulatorConfig
from bot.sandbox import Stack, start_stack
from store.models import CartItem, OrderItem, Product
from tests.backends import fresh_database_url
from tests.conftest import USER_PACE_SECONDS, arm_strict, verify_strict
from tests.delivery.helpers import bot_messages, bot_says, orders_of, product_id, shopper, text_of
from tests.orders.helpers import fill_cart, stock_of

GIFT_CODE = "GC50-DEMO-7Q4K-M2XP"  # DIG-GIFT50: ¥50.00 or 350 ⭐
RECIPES_STARS = 70  # DIG-RECIPES


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def seeded_shop(settings: Settings, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    """The `shop` stack with the demo catalog, once on SQLite and once on PostgreSQL."""
    async with fresh_database_url(request.param, tmp_path) as url:
        stack = await start_stack(
            settings,
            database_url=url,
            emulator_config=EmulatorConfig(flood_limits=True, time_scale=1.0, user_pace_seconds=USER_PACE_SECONDS),
            seed_demo=True,
        )
        arm_strict(stack, request)
        try:
            yield stack
            await verify_strict(stack, request)
        finally:
            await stack.stop()


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [button.text for row in message.buttons for button in row]


async def _invoice(shop: Stack, user: UserHandle) -> MessageView:
    async def found() -> MessageView | None:
        invoices = [m for m in await user.messages() if m.from_bot and m.invoice is not None]
        return invoices[-1] if invoices else None

    message: MessageView = await shop.client.wait_for(found, timeout=10)
    return message


async def _cart_skus(shop: Stack, user_id: int) -> list[str]:
    async with shop.db.read() as session:
        rows = await session.execute(
            select(Product.sku).join(CartItem, CartItem.product_id == Product.id).where(CartItem.user_id == user_id)
        )
        return sorted(rows.scalars())


async def _order_skus(shop: Stack, order_id: int) -> list[str]:
    async with shop.db.read() as session:
        rows = await session.execute(select(OrderItem.sku).where(OrderItem.order_id == order_id))
        return sorted(rows.scalars())


async def test_digital_only_cart_offers_stars_only_and_is_delivered(seeded_shop: Stack) -> None:
    shop = seeded_shop
    alice = await shopper(shop)
    gift, recipes = await product_id(shop.db, "DIG-GIFT50"), await product_id(shop.db, "DIG-RECIPES")
    gift_stock, recipes_stock = await stock_of(shop.db, gift), await stock_of(shop.db, recipes)
    await fill_cart(shop.db, alice.id, {gift: 1, recipes: 1})

    await alice.send("/checkout")
    summary = await alice.last_message()
    text = text_of(summary) if summary else ""
    assert "Order summary" in text and "How would you like" not in text, "digital: no delivery question"
    assert "— ⭐ 350" in text and f"— ⭐ {RECIPES_STARS}" in text and f"Total: ⭐ {350 + RECIPES_STARS}" in text, text
    assert "¥" not in text.replace("Shop gift card, ¥50", ""), "priced in Stars only"
    assert "Telegram Stars only" in text
    assert labels(summary) == [f"Pay ⭐ {350 + RECIPES_STARS}", "✖️ Cancel checkout"]

    await alice.tap(f"Pay ⭐ {350 + RECIPES_STARS}")
    invoice = await _invoice(shop, alice)
    assert invoice.invoice is not None
    assert (invoice.invoice["currency"], invoice.invoice["total_amount"]) == ("XTR", 350 + RECIPES_STARS)
    assert (await alice.pay(message=invoice))["status"] == "paid"
    await bot_says(shop, alice, GIFT_CODE)
    (order,) = await orders_of(shop.db, alice.id)
    assert (order.status, order.currency, order.payment_method) == ("delivered", "XTR", "stars")
    assert (await stock_of(shop.db, gift), await stock_of(shop.db, recipes)) == (gift_stock - 1, recipes_stock - 1)
    assert await _cart_skus(shop, alice.id) == []
    assert not await bot_messages(alice, "💳"), "no card payment offered for digital goods"


async def test_mixed_cart_checks_out_physical_first_then_digital_in_stars(seeded_shop: Stack) -> None:
    shop = seeded_shop
    alice = await shopper(shop)
    apple, gift = await product_id(shop.db, "FRU-APPLE"), await product_id(shop.db, "DIG-GIFT50")
    apple_stock, gift_stock = await stock_of(shop.db, apple), await stock_of(shop.db, gift)
    await fill_cart(shop.db, alice.id, {apple: 2, gift: 1})

    await alice.send("/checkout")
    choice = await alice.last_message()
    assert choice is not None and "How would you like" in text_of(choice)
    assert "paid separately, in Telegram Stars" in text_of(choice) and "Shop gift card, ¥50" in text_of(choice)
    await alice.tap("Pick up: Central Store")
    summary = await alice.last_message()
    text = text_of(summary) if summary else ""
    head = text.split("⭐ Digital items")[0]
    assert "Fuji apples" in head and "Total: ¥59.80" in head and "Shop gift card" not in head, text
    assert "paid separately, in Telegram Stars" in text
    buttons = labels(summary)
    assert any("by card" in b and "¥59.80" in b for b in buttons), buttons
    assert not any("Pay ⭐" in b for b in buttons), "no Stars for physical goods"

    await alice.tap("by card")
    placed = await bot_says(shop, alice, "is placed")  # the summary, edited; the invoice follows it
    assert "still in your cart" in text_of(placed)
    assert "⭐ Check out digital items" in labels(placed)
    invoice = await _invoice(shop, alice)
    assert invoice.invoice is not None
    assert (invoice.invoice["currency"], invoice.invoice["total_amount"]) == ("CNY", 5980)
    assert (await alice.pay(message=invoice))["status"] == "paid"
    (first,) = await orders_of(shop.db, alice.id)
    assert await _order_skus(shop, first.id) == ["FRU-APPLE"] and first.payment_method == "card"
    assert await _cart_skus(shop, alice.id) == ["DIG-GIFT50"], "the digital item waits for its own checkout"
    assert (await stock_of(shop.db, apple), await stock_of(shop.db, gift)) == (apple_stock - 2, gift_stock)

    await alice.tap("Check out digital items", message=placed)
    # The Stars checkout comes below: the placed order keeps its message, without the button just used.
    kept = next(m for m in await alice.messages() if m.message_id == placed.message_id)
    assert "is placed" in text_of(kept) and "⭐ Check out digital items" not in labels(kept), labels(kept)
    stars_summary = await alice.last_message()
    assert stars_summary is not None and stars_summary.message_id > placed.message_id
    assert "Order summary" in text_of(stars_summary) and "Total: ⭐ 350" in text_of(stars_summary)
    assert labels(stars_summary) == ["Pay ⭐ 350", "✖️ Cancel checkout"]
    await alice.tap("Pay ⭐ 350", message=stars_summary)
    invoice = await _invoice(shop, alice)
    assert invoice.invoice is not None
    assert (invoice.invoice["currency"], invoice.invoice["total_amount"]) == ("XTR", 350)
    assert (await alice.pay(message=invoice))["status"] == "paid"
    await bot_says(shop, alice, GIFT_CODE)
    first_again, second = await orders_of(shop.db, alice.id)
    assert first_again.id == first.id and first_again.status == "paid"
    assert await _order_skus(shop, second.id) == ["DIG-GIFT50"]
    assert (second.status, second.currency, second.total) == ("delivered", "XTR", 350)
    assert (await stock_of(shop.db, apple), await stock_of(shop.db, gift)) == (apple_stock - 2, gift_stock - 1)
    assert await _cart_skus(shop, alice.id) == []


@pytest.mark.parametrize(
    ("name", "lang", "pickup", "on_pickup", "code", "next_button", "stars_total"),
    [
        ("Alice", "en", "Pick up: Central Store", "on pickup", "Pickup code", "Check out digital items", "⭐ 350"),
        ("李雷", "zh-hans", "自提：", "自提时", "取货码", "结账虚拟商品", "⭐ 350"),
    ],
    ids=["en", "zh"],
)
async def test_digital_checkout_after_a_pickup_order_keeps_the_pickup_code(
    seeded_shop: Stack,
    name: str,
    lang: str,
    pickup: str,
    on_pickup: str,
    code: str,
    next_button: str,
    stars_total: str,
) -> None:
    """Outside tester: after a mixed cart's pickup order, "Check out digital items" replaced the message holding
    the pickup code with the Stars summary; the code was only to be found in /orders then."""
    shop = seeded_shop
    alice = await shopper(shop, name, lang=lang)
    apple, gift = await product_id(shop.db, "FRU-APPLE"), await product_id(shop.db, "DIG-GIFT50")
    await fill_cart(shop.db, alice.id, {apple: 1, gift: 1})
    await alice.send("/checkout")
    await alice.tap(pickup)
    await alice.tap(on_pickup)
    placed = await bot_says(shop, alice, code)
    assert any(next_button in b for b in labels(placed)), labels(placed)

    data = next(b.callback_data for row in placed.buttons for b in row if next_button in b.text)
    assert data is not None
    await alice.tap(next_button, message=placed)
    await alice.tap_data(data, message=placed)  # a second tap (a double tap, another device) starts nothing more
    await shop.client.settle()
    kept = next(m for m in await alice.messages() if m.message_id == placed.message_id)
    assert code in text_of(kept) and text_of(kept) == text_of(placed), text_of(kept)
    assert not any(next_button in b for b in labels(kept)), labels(kept)
    below = [m for m in await alice.messages() if m.from_bot and m.message_id > placed.message_id]
    assert len(below) == 1 and stars_total in text_of(below[0]), [text_of(m) for m in below]
    assert any(stars_total in b for b in labels(below[0])), labels(below[0])


async def test_mixed_cart_is_explained_in_chinese(seeded_shop: Stack) -> None:
    shop = seeded_shop
    li = await shopper(shop, "李雷", lang="zh-hans")
    await fill_cart(
        shop.db, li.id, {await product_id(shop.db, "FRU-APPLE"): 1, await product_id(shop.db, "DIG-GIFT100"): 1}
    )
    await li.send("/checkout")
    choice = await li.last_message()
    assert choice is not None and "虚拟商品需单独用 Telegram 星星支付" in text_of(choice)
    # Full-width brackets take no half-width space after them (an outside tester saw "「商城礼品卡 50元」 会留在").
    assert "「商城礼品卡 100元」会留在购物车中" in text_of(choice), text_of(choice)


async def _without_star_price(shop: Stack, sku: str) -> int:
    pid = await product_id(shop.db, sku)
    async with shop.db.tx() as session:
        await session.execute(
            update(Product).where(Product.id == pid).values(stars_price=None, version=Product.version + 1)
        )
    return pid


@pytest.mark.seeded
async def test_digital_product_without_star_price_is_not_for_sale(shop: Stack) -> None:
    recipes = await _without_star_price(shop, "DIG-RECIPES")
    alice = await shopper(shop)
    await alice.open_deeplink("p_DIG-RECIPES")
    card = await alice.last_message()
    assert card is not None and "Not available for purchase right now" in text_of(card), text_of(card)
    assert not any("Add" in b or "➕" in b for b in labels(card)), labels(card)

    li = await shopper(shop, "李雷", lang="zh-hans")
    await li.open_deeplink("p_DIG-RECIPES")
    assert "暂时无法购买" in text_of(await li.last_message())  # type: ignore[arg-type]

    # Put in the cart while it still had a Star price: checkout refuses it, by name, and nothing is reserved.
    stock = await stock_of(shop.db, recipes)
    await fill_cart(shop.db, alice.id, {recipes: 1})
    await alice.send("/checkout")
    refused = await alice.last_message()
    assert refused is not None and "is not available for purchase right now" in text_of(refused)
    assert "Home cooking recipe e-book" in text_of(refused)
    assert await stock_of(shop.db, recipes) == stock and await orders_of(shop.db, alice.id) == []


@pytest.mark.seeded
async def test_every_demo_digital_product_has_a_star_price(shop: Stack) -> None:
    async with shop.db.read() as session:
        rows = (await session.execute(select(Product.sku, Product.stars_price).where(Product.is_digital))).all()
    assert rows and all(stars for _, stars in rows), rows
