"""Admin typing tests: an admin (English or Chinese) who started the bot, the product FRU-APPLE whose stock they
change, and the text of the bot's last message."""

from __future__ import annotations

from typing import Any

from bot.emulator.client import MessageView, UserHandle
from tests.conftest import ADMIN_ID
from tests.orders.helpers import make_product

STOCK_BUTTON = {"en": "📦 Stock", "zh": "📦 库存"}


async def admin(shop: Any, lang: str = "en") -> UserHandle:
    await shop.client.set_flood_limits(False)
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang=lang)
    await ada.send("/start")
    return ada


async def said(user: UserHandle) -> str:
    message = await user.last_message()
    assert message is not None
    return message.text or message.caption or ""


async def reply(user: UserHandle, text: str) -> str:
    """What the bot answers to `text` (its last message after it)."""
    await user.send(text)
    return await said(user)


async def in_stock_section(shop: Any, lang: str = "en") -> UserHandle:
    ada = await admin(shop, lang)
    await _open_stock_section(ada, lang)
    return ada


async def apple_and_admin(shop: Any, stock: int, lang: str = "en") -> tuple[int, UserHandle]:
    """FRU-APPLE with `stock` units, then the admin who started the bot: the apple's id and the admin."""
    apple = await make_product(shop.db, "FRU-APPLE", stock=stock)
    return apple, await admin(shop, lang)


async def apple_in_stock_section(shop: Any, stock: int, lang: str = "en") -> tuple[int, UserHandle]:
    """FRU-APPLE with `stock` units, and the admin in /admin → Stock: the apple's id and the admin."""
    apple, ada = await apple_and_admin(shop, stock, lang)
    await _open_stock_section(ada, lang)
    return apple, ada


async def _open_stock_section(ada: UserHandle, lang: str) -> None:
    await ada.send("/admin")
    await ada.tap(STOCK_BUTTON[lang])


def labels(message: MessageView) -> list[str]:
    return [b.text for row in message.buttons for b in row]
