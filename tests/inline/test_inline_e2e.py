"""Inline mode through the real bot and the emulator: `@bot apple` lists products, choosing one posts a card
into a group whose deep link carries the sharer's referral code, and opening it attributes the new user."""

from __future__ import annotations

import pytest

from bot.emulator.client import UserHandle
from bot.sandbox import Stack
from handlers.inline import PAGE_SIZE
from store.growth import referrals

pytestmark = pytest.mark.seeded


async def shopper(shop: Stack, name: str, lang: str = "en") -> UserHandle:
    await shop.client.set_flood_limits(False)
    return await shop.client.user(name, lang=lang)


def url_of(result: dict[str, object]) -> str:
    markup = result["reply_markup"]
    assert isinstance(markup, dict)
    return str(markup["inline_keyboard"][0][0]["url"])


async def test_inline_query_lists_matching_products_personal_and_short_cached(shop: Stack) -> None:
    alice = await shopper(shop, "Alice")
    answer = await alice.inline_answer("apple")
    assert answer["answered"] is True
    results = answer["results"]
    assert results and all("apple" in r["title"].lower() for r in results)
    assert results[0]["title"] == "Fuji apples, 2 kg"
    assert answer["is_personal"] is True and 0 <= answer["cache_time"] <= 30
    card = results[0]["input_message_content"]["message_text"]
    assert card.startswith("🛒 Fuji apples, 2 kg") and "¥29.90" in card and "40 in stock" in card
    assert results[0]["description"] == "¥29.90 · 40 in stock"
    code = await referrals.code_for(shop.db, alice.id)
    assert url_of(results[0]) == f"https://t.me/{shop.app.ctx.bot_username}?start=p_FRU-APPLE-r_{code}"
    assert results[0]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Open in shop"


async def test_shared_card_in_group_and_its_link_records_the_referral(shop: Stack) -> None:
    alice = await shopper(shop, "Alice")
    bob = await shopper(shop, "Bob")
    carol = await shopper(shop, "Carol")  # in the group but new to the shop: she opens the shared card's link
    group = await shop.client.group("Neighbours", members=[alice, bob, carol])
    before = len(await group.messages())
    results = await alice.inline_query("apple")
    await alice.choose_inline(results[0], chat=group)
    posted = await group.messages()
    assert len(posted) == before + 1, "the card only; the bot stays quiet in the group"
    card = posted[-1]
    assert card.raw["via_bot"]["username"] == shop.app.ctx.bot_username
    assert card.text is not None and card.text.startswith("🛒 Fuji apples, 2 kg")
    assert any(e["type"] == "bold" for e in card.entities)
    code = await referrals.code_for(shop.db, alice.id)
    button = card.button("Open in shop")
    assert button.url is not None and button.url.endswith(f"p_FRU-APPLE-r_{code}")
    tapped = await carol.tap("Open in shop", chat=group)
    payload = tapped.raw["deeplink"]
    assert payload == f"p_FRU-APPLE-r_{code}"
    await carol.open_deeplink(payload)
    shown = [(m.caption or "") + (m.text or "") for m in await carol.messages() if m.from_bot]
    assert any("Fuji apples" in text for text in shown), shown  # the product card, in her private chat
    stats = await referrals.stats(shop.db, alice.id)
    assert stats.invited == 1


async def test_chinese_query_for_a_chinese_user(shop: Stack) -> None:
    mei = await shopper(shop, "Mei", lang="zh")
    results = await mei.inline_query("苹果")
    assert results and results[0]["title"] == "烟台红富士苹果 2公斤"
    card = results[0]["input_message_content"]["message_text"]
    assert "库存 40" in card
    assert results[0]["reply_markup"]["inline_keyboard"][0][0]["text"] == "在商店中打开"


async def test_empty_query_offers_newest_products_and_pages_by_offset(shop: Stack) -> None:
    alice = await shopper(shop, "Alice")
    first = await alice.inline_answer("")
    assert len(first["results"]) == PAGE_SIZE and first["next_offset"] == "1"
    second = await alice.inline_answer("", offset=first["next_offset"])
    assert second["results"], "the demo catalog has more than one page"
    first_ids = {r["id"] for r in first["results"]}
    second_ids = {r["id"] for r in second["results"]}
    assert not first_ids & second_ids
    assert second["next_offset"] == ""  # 35 demo products: two pages
    assert len(first_ids | second_ids) == 35
    past = await alice.inline_answer("", offset="7")
    assert past["answered"] is True and past["results"] == [] and past["next_offset"] == ""


async def test_typo_offers_close_products_and_nonsense_answers_empty(shop: Stack) -> None:
    alice = await shopper(shop, "Alice")
    close = await alice.inline_answer("aple")
    assert any("apple" in r["title"].lower() for r in close["results"])
    nothing = await alice.inline_answer("zzzzqqqq")
    assert nothing["answered"] is True and nothing["results"] == [] and nothing["next_offset"] == ""
