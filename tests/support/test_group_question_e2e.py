"""A question to the bot in a group (a mention, or a reply to its message) gets an answer in the asker's language
pointing to the private chat (outside check: "@groupcart_bot where is my order?" got no answer at all); other
group chatter gets none, and the support group's agents are not answered as shoppers."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from bot.i18n import t

LANGS = {
    "en": ("Ask me in our private chat", "Open private chat"),
    "zh": ("请在私聊中问我", "打开私聊"),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_mention_or_a_reply_is_answered_with_the_private_chat(shop: Any, lang: str) -> None:
    says, button = LANGS[lang]
    asker = await shop.client.user("Mei", lang=lang)
    neighbour = await shop.client.user("Tom", lang="en")
    group = await shop.client.group("Block 7", [asker, neighbour])
    await asker.send(f"@{shop.app.ctx.bot_username} where is my order?", chat=group)
    await shop.client.settle()
    replies = [m for m in await group.messages() if m.from_bot and says in (m.text or "")]
    assert len(replies) == 1, [m.text for m in await group.messages()]
    buttons = [b for row in replies[0].buttons for b in row]
    assert any(button in b.text and b.url for b in buttons), buttons

    await asker.send("and when does it come?", chat=group, reply_to=replies[0])
    await neighbour.send("anyone up for the durian group buy?", chat=group)
    await shop.client.settle()
    replies = [m for m in await group.messages() if m.from_bot and says in (m.text or "")]
    assert len(replies) == 2  # the reply to the bot, not the chatter


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_group_buttons_open_this_bots_private_chat_on_the_welcome(shop: Any, lang: str) -> None:
    """Both group answers (/start in a group, a question to the bot) link to the same place, built in one
    (bot.deeplinks.hello_link): this bot's private chat, where the tap lands on the welcome, not on "bad link"."""
    says, button = LANGS[lang]
    asker = await shop.client.user("Mei", lang=lang)
    group = await shop.client.group("Block 7", [asker], bot_admin=True)
    await asker.send("/start", chat=group)
    await asker.send(f"@{shop.app.ctx.bot_username} where is my order?", chat=group)
    await shop.client.settle()
    urls: dict[str, list[str]] = {}
    for needle in (t(lang, "start.group_hint"), says):
        replies = [m for m in await group.messages() if m.from_bot and needle in (m.text or "")]
        urls[needle] = [b.url for m in replies for row in m.buttons for b in row if button in b.text and b.url]
    assert all(len(found) == 1 for found in urls.values()), urls
    hint_url, answer_url = urls.values()
    assert hint_url == answer_url
    link = urlparse(hint_url[0])
    assert (link.netloc, link.path) == ("t.me", f"/{shop.app.ctx.bot_username}"), link

    await asker.open_deeplink(parse_qs(link.query)["start"][0])  # what tapping the button does
    shown = await asker.last_message()
    assert shown is not None and t(lang, "start.welcome", name="Mei") in (shown.text or ""), shown
    assert not any(t(lang, "start.bad_link") in (m.text or "") for m in await asker.messages()), "no 'bad link'"
