"""Outside testers: a deep link `t.me/<bot>?start=p_<sku>` naming a SKU that never existed was answered "this
product is no longer available", as if it had been sold here once. A product that was hidden keeps that answer;
a SKU no product ever had, or one that is not a valid SKU at all, is answered "the link is not valid". Both offer
the categories. Real bot and emulator, en and zh, a shopper the bot has never seen."""

from __future__ import annotations

import pytest

from bot.emulator.client import MessageView
from bot.sandbox import Stack
from store import catalog

pytestmark = pytest.mark.seeded

# (Telegram language code, "not valid" words, "no longer available" words, a category button)
LANGS = {
    "en": ("en", "link is not valid", "no longer available", "Vegetables"),
    "zh": ("zh-hans", "链接无效", "已下架", "时令蔬菜"),
}
# A valid start parameter (64 characters at most, A-Z a-z 0-9 _ -) that is no valid SKU: longer than 32.
INVALID_SKU = "X" * 40


def _labels(message: MessageView) -> list[str]:
    return [button.text for row in message.buttons for button in row]


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_link_to_a_sku_that_never_existed_says_the_link_is_not_valid(shop: Stack, lang: str) -> None:
    code, not_valid, gone, category = LANGS[lang]
    assert await catalog.get_product_by_sku(shop.db, "NO-SUCH-SKU") is None
    await shop.client.set_flood_limits(False)
    for number, sku in enumerate(("NO-SUCH-SKU", INVALID_SKU)):
        pia = await shop.client.user(f"Pia{number}", lang=code)  # never seen: the link is her first message
        await pia.open_deeplink(f"p_{sku}")
        answer = await pia.last_message()
        assert answer is not None
        text = answer.text or ""
        assert not_valid in text and gone not in text, text
        assert category in _labels(answer), _labels(answer)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_link_to_a_hidden_product_still_says_it_is_no_longer_available(shop: Stack, lang: str) -> None:
    """The hidden product's link keeps its answer, while a never-existing SKU's link (same shopper) differs."""
    code, not_valid, gone, category = LANGS[lang]
    await shop.client.set_flood_limits(False)
    assert await catalog.set_active(shop.db, "VEG-POTATO", False)
    quinn = await shop.client.user("Quinn", lang=code)
    await quinn.open_deeplink("p_VEG-POTATO")
    hidden = await quinn.last_message()
    assert hidden is not None
    assert gone in (hidden.text or "") and not_valid not in (hidden.text or ""), hidden.text
    assert category in _labels(hidden)

    await quinn.open_deeplink("p_VEG-POTATO-2")
    unknown = await quinn.last_message()
    assert unknown is not None and unknown.message_id != hidden.message_id
    assert not_valid in (unknown.text or "") and gone not in (unknown.text or ""), unknown.text
    assert category in _labels(unknown)
