"""What the search e2e tests read off the bot's messages, and a shopper who may tap faster than a person."""

from __future__ import annotations

import re

from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [button.text for row in message.buttons for button in row]


def prices(message: MessageView) -> list[float]:
    """The prices of the result lines (`1. Title — ¥12.80 · ...`)."""
    return [float(p.replace(",", "")) for p in re.findall(r"— ¥([\d,]+\.\d\d)", message.text or "")]


async def shopper(shop: Stack, name: str, lang: str = "en") -> UserHandle:
    await shop.client.set_flood_limits(False)  # tests tap faster than people; flood rules have their own tests
    return await shop.client.user(name, lang=lang)
