"""Outside check: Buy tapped on the flash-sale announcement in the PRIVATE chat answered "Pay in our private
chat", which is where the shopper already is. In the private chat the toast says to pay here; on the group card it
still points to the private chat. Real bot and emulator, en and zh."""

from __future__ import annotations

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from tests.flashsale.helpers import live_sale, make_product
from tests.flashsale.test_flash_e2e import _private_with

# (language, /subscribe answer, the toast of a win here, the toast of a win in the group, the words not to say)
LANGS = {
    "en": ("en", "announcements", "Pay here within", "Pay in our private chat", "private chat"),
    "zh": ("zh-hans", "秒杀", "在本聊天中付款", "到私聊中付款", "私聊"),
}


async def _card(user: UserHandle, chat: object, shop: Stack) -> MessageView:
    """The sale's announcement in `chat` (None: the private chat), in either language."""

    async def find() -> MessageView | None:
        for message in reversed(await user.messages(chat)):  # type: ignore[arg-type]
            if message.from_bot and message.buttons and "⚡" in (message.text or ""):
                return message
        return None

    found: MessageView = await shop.client.wait_for(find, timeout=10)
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_win_in_the_private_chat_is_paid_here(shop: Stack, lang: str) -> None:
    code, subscribed, here, there, never = LANGS[lang]
    await make_product(shop.db, "RICE-1", stock=10)
    bob = await shop.client.user("Bob", lang=code)
    alice = await shop.client.user("Alice", lang=code)
    group = await shop.client.group("Neighbours", members=[alice, bob], bot_admin=True)
    for person in (alice, bob):
        await person.send("/start")
    await bob.send("/subscribe")
    await _private_with(bob, shop, subscribed)
    await live_sale(shop.db, "RICE-1", stock=3, per_user=1)

    card = await _card(bob, None, shop)
    won = await bob.tap(message=card)
    assert won.toast is not None and here in (won.toast.text or ""), won.toast
    assert never not in (won.toast.text or ""), won.toast

    group_card = await _card(alice, group, shop)
    won_there = await alice.tap(message=group_card, chat=group)
    assert won_there.toast is not None and there in (won_there.toast.text or ""), won_there.toast
