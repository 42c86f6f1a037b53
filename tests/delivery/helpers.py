"""Shared steps for the delivery tests: shoppers, waiting for outbox messages, reading orders and outbox rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.emulator.client import MessageView, UserHandle
from store.db import Database
from store.models import Order, OutboxMessage, Product
from tests.orders.helpers import fill_cart, make_product


async def shopper(shop: Any, name: str = "Alice", lang: str = "en") -> UserHandle:
    """A shopper who opened the private chat (/start); the test types faster than a person."""
    await shop.client.set_flood_limits(False)
    user: UserHandle = await shop.client.user(name, lang=lang)
    await user.send("/start")
    return user


def text_of(message: MessageView) -> str:
    return message.text or message.caption or ""


async def bot_messages(user: UserHandle, needle: str = "") -> list[MessageView]:
    return [m for m in await user.messages() if m.from_bot and needle in text_of(m)]


async def bot_says(shop: Any, user: UserHandle, needle: str, *, count: int = 1, timeout: float = 10.0) -> MessageView:
    """Wait until the bot has sent `count` private messages containing `needle` (the outbox sends in the
    background); the latest of them."""

    async def found() -> MessageView | None:
        matches = await bot_messages(user, needle)
        return matches[-1] if len(matches) >= count else None

    message: MessageView = await shop.client.wait_for(found, timeout=timeout)
    return message


async def product_id(db: Database, sku: str) -> int:
    async with db.read() as session:
        return int((await session.execute(select(Product.id).where(Product.sku == sku))).scalar_one())


async def orders_of(db: Database, user_id: int) -> list[Order]:
    async with db.read() as session:
        rows = await session.execute(select(Order).where(Order.user_id == user_id).order_by(Order.id))
        return list(rows.scalars())


async def outbox_rows(db: Database, template: str | None = None) -> list[OutboxMessage]:
    async with db.read() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if template is not None:
            query = query.where(OutboxMessage.template == template)
        return list((await session.execute(query)).scalars())


async def paid_pickup_order(shop: Any, sku: str = "TEA-1") -> UserHandle:
    """Alice, new to the bot, bought one tea (¥25.00) for pickup at Central Store and paid by card."""
    tea = await make_product(shop.db, sku, price=2500, stock=5)
    alice = await shopper(shop)
    await fill_cart(shop.db, alice.id, {tea: 1})
    await alice.send("/checkout")
    await alice.tap("Pick up: Central Store")
    await alice.tap("by card")
    assert (await alice.pay())["status"] == "paid"
    await bot_says(shop, alice, "Payment received")
    return alice
