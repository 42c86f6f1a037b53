"""A question to the bot in a group (a mention, or a reply to its message) gets an answer in the asker's language
pointing to the private chat (outside check: "@groupcart_bot where is my order?" got no answer at all); other
group chatter gets none, and the support group's agents are not answered as shoppers."""

from __future__ import annotations

from typing import Any

import pytest

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
