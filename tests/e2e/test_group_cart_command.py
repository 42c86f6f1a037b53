"""/cart sent in the demo group "Neighbours" got no reply at all (outside tester, two users), while /checkout,
/points and /orders there each get a short reply pointing to the private chat, and the group /help lists /cart.
Now /cart in a group answers like the other personal commands: one short reply in the sender's language whose
button opens the cart in the private chat - for someone the bot never saw as for someone who started it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from bot.i18n import t
from bot.sandbox import Stack

pytestmark = pytest.mark.demo_people

CART_SCREEN = {"en": t("en", "cart.empty"), "zh": t("zh", "cart.empty")}


@pytest.mark.parametrize(
    ("name", "lang", "started"),
    [
        ("李雷", "zh", False),  # never seen by the bot
        ("Alice", "en", True),  # known: started the bot in private
    ],
)
async def test_cart_in_group_points_to_the_private_chat(shop: Stack, name: str, lang: str, started: bool) -> None:
    person = shop.people[name]
    group = shop.chats["group"]
    if started:
        await person.send("/start")
    private_before = len(await person.messages())

    await person.send("/cart", chat=group)

    reply = await person.last_message(group)
    assert reply is not None and reply.from_bot, "/cart in the group got no answer"
    assert t(lang, "private_only.cart") in (reply.text or ""), reply
    assert reply.buttons and reply.buttons[0][0].text == t(lang, "private_only.cart_button"), reply
    assert reply.buttons[0][0].url, reply
    # the cart itself is not pushed into the private chat: the button opens it there
    assert len(await person.messages()) == private_before

    payload = parse_qs(urlparse(reply.buttons[0][0].url).query)["start"][0]
    await person.open_deeplink(payload)  # what tapping the button does
    shown = await person.last_message()
    assert shown is not None and CART_SCREEN[lang] in (shown.text or ""), shown
