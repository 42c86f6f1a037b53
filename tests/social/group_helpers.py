"""What the social end-to-end tests share: a group chat whose shared catalog message shows a product."""

from __future__ import annotations

from bot.emulator.client import ChatHandle, UserHandle
from bot.sandbox import Stack


async def group_card(shop: Stack, lang: str, category: str, product: str, *members: UserHandle) -> ChatHandle:
    """A group "Block 7" with `members`, in `lang` (the first member, made an admin, switches it to Chinese), whose
    shared catalog message the first member has opened on `product` of `category`."""
    first = members[0]
    group = await shop.client.group("Block 7", members=list(members), bot_admin=True)
    if lang == "zh":
        await group.set_member(first, "administrator")
        await first.send("/language", chat=group)
        await first.tap("中文", chat=group)
    await first.send("/catalog", chat=group)
    await first.tap(category, chat=group)
    await first.tap(product, chat=group)
    return group
