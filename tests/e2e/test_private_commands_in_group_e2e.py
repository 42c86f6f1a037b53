"""/support, /foryou, /subscribe and /unsubscribe sent in a group got no answer anywhere (the group /help lists
them). Like /orders or /wishlist there, each now gets one short reply in the group whose button opens that
command's own screen in the private chat - also for someone who never started the bot."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from bot.i18n import t
from bot.sandbox import Stack

SCREENS = {
    # command -> what the private chat shows once the group reply's button is followed
    "foryou": {"en": "For you", "zh": "为您推荐"},
    "subscribe": {"en": "flash-sale announcements here", "zh": "秒杀开始时会在这里通知您"},
    "unsubscribe": {"en": "not subscribed to flash-sale", "zh": "您没有订阅秒杀通知"},
    "support": {"en": "team", "zh": "客服"},
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("command", sorted(SCREENS))
@pytest.mark.parametrize("started", [False, True])
async def test_private_command_in_group_links_to_its_screen(
    shop: Stack, lang: str, command: str, started: bool
) -> None:
    pat = await shop.client.user("Pat", lang=lang)
    if started:
        await pat.send("/start")
    group = await shop.client.group("Block 7", members=[pat], bot_admin=True)
    await pat.send(f"/{command}", chat=group)
    reply = await pat.last_message(group)
    assert reply is not None and reply.from_bot, f"/{command} in a group got no answer"
    assert reply.buttons and reply.buttons[0][0].url, reply
    assert t(lang, f"private_only.{command}") in (reply.text or "")
    payload = parse_qs(urlparse(reply.buttons[0][0].url).query)["start"][0]

    await pat.open_deeplink(payload)  # what tapping the button does
    shown = await pat.last_message()
    assert shown is not None and SCREENS[command][lang] in (shown.text or ""), shown
