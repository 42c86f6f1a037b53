"""/invite in a group answers "I will show it in our private chat": the reply's button has to open the invite
screen there. An outside tester followed it and got the main menu (the button linked /start hello), with no
invite link anywhere."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from bot.sandbox import Stack
from store.growth import referrals


@pytest.mark.parametrize(
    ("lang", "promise", "screen"),
    [
        ("en", "I will show it in our private chat", "Invite friends"),
        ("zh", "我会在私聊里发给您", "用您的专属链接邀请好友"),
    ],
)
async def test_group_invite_button_opens_the_invite_link_in_private(
    shop: Stack, lang: str, promise: str, screen: str
) -> None:
    pat = await shop.client.user("Pat", lang=lang)  # never started the bot: the button must work for them too
    group = await shop.client.group("Block 7", members=[pat], bot_admin=True)
    await pat.send("/invite", chat=group)
    reply = await pat.last_message(group)
    assert reply is not None and promise in (reply.text or "")
    url = reply.buttons[0][0].url
    assert url is not None
    payload = parse_qs(urlparse(url).query)["start"][0]

    await pat.open_deeplink(payload)  # what tapping the button does
    shown = await pat.last_message()
    code = await referrals.code_for(shop.db, pat.id)
    assert shown is not None and screen in (shown.text or ""), shown
    assert f"start=r_{code}" in (shown.text or "")
