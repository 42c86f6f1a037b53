"""Outside tester: in a group, a Chinese shopper's /search drew Chinese results, an English shopper's tap turned
the same message into an English card (a shared card is in the group's language), and Back turned it into Chinese
results again. Results in a group are a shared message: drawn in the group's language, like the cards they open."""

from __future__ import annotations

import pytest

from bot.chat_language import group_language, set_group_language
from bot.emulator.client import ChatHandle, MessageView
from bot.sandbox import Stack
from tests.search.test_back_to_results_e2e import shown
from tests.search.test_search_e2e import shopper

pytestmark = pytest.mark.seeded

# The group's language, and a word only its results header, card and Back button carry.
HEADER = {"en": " found", "zh": "找到"}
BACK = {"en": "⬅️ Back", "zh": "⬅️ 返回"}


@pytest.mark.parametrize(("group_lang", "searcher_lang"), [("en", "zh"), ("zh", "en")])
async def test_results_in_a_group_stay_in_the_groups_language_whoever_searches_or_taps(
    shop: Stack, group_lang: str, searcher_lang: str
) -> None:
    searcher = await shopper(shop, "Searcher", lang=searcher_lang)
    tapper = await shopper(shop, "Tapper", lang=group_lang)
    for person in (searcher, tapper):
        await person.send("/start")
    group = await shop.client.group("Street", members=[searcher, tapper], bot_admin=True)
    await set_group_language(shop.app.ctx, group.id, group_lang)
    assert await group_language(shop.app.ctx, group.id) == group_lang

    await searcher.send("/search 苹果" if searcher_lang == "zh" else "/search apple", chat=group)
    results = await _last_bot(group)
    assert HEADER[group_lang] in shown(results), shown(results)
    assert HEADER[searcher_lang] not in shown(results), shown(results)

    await tapper.tap(row=0, col=0, message=results, chat=group)  # the first result
    card = next(m for m in await group.messages() if m.message_id == results.message_id)
    assert shown(card) != shown(results), "the first button opens a product card"
    assert BACK[group_lang] in [b.text for row in card.buttons for b in row], card.buttons

    await searcher.tap(BACK[group_lang], message=card, chat=group)
    back = next(m for m in await group.messages() if m.message_id == results.message_id)
    assert shown(back) == shown(results), shown(back)


async def _last_bot(group: ChatHandle) -> MessageView:
    messages = [m for m in await group.messages() if m.from_bot]
    assert messages
    return messages[-1]
