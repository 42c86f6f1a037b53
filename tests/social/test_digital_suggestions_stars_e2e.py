"""Outside check: the Chinese "猜您喜欢" button quoted the Stars-only gift card in ¥. Telegram sells digital goods
for Stars only, so every list of products quotes them in Stars, as search results and the cart do: the suggestions
on a card, on the payment's confirmation and on "For you", the wishlist and the category pages. And a suggestion
tapped under delivered codes opens its card below them, never in their place. Demo catalog, emulator, en and zh."""

from __future__ import annotations

import re

import pytest

from bot import social
from bot.emulator.client import MessageView
from bot.sandbox import Stack
from tests.delivery.helpers import bot_says, text_of
from tests.social.helpers import bought, make_user
from tests.social.test_social_e2e import labels, started

pytestmark = pytest.mark.seeded

GIFT_BUYERS = range(740_001, 740_006)
# (the gift card's title as a label starts it, You may also like, wishlist heart, category)
LANGS = {
    "en": ("Shop gift card, ¥50", "You may also like", "Save to wishlist", "Gift cards"),
    "zh": ("商城礼品卡 50元", "猜您喜欢", "加入心愿单", "礼品卡与会员"),
}
YUAN = re.compile(r"¥\s?\d+\.\d\d")  # a yuan price as Money formats it (the title's "¥50" is its face value)


def gift_labels(message: MessageView | None, title: str) -> list[str]:
    found = [label for label in labels(message) if title in label]
    assert found, labels(message)
    return found


def in_stars(label: str) -> bool:
    return "⭐ 350" in label and not YUAN.search(label)


async def history(shop: Stack) -> None:
    """Five shoppers bought Pu'er tea with the ¥50 gift card."""
    for user in GIFT_BUYERS:
        await make_user(shop.db, user)
        await bought(shop.db, user, ["TEA-PUER", "DIG-GIFT50"])
    await social.recommender(shop.app.ctx).refresh()


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_suggestions_wishlist_and_category_quote_the_gift_card_in_stars(shop: Stack, lang: str) -> None:
    title, also, wish, category = LANGS[lang]
    await shop.client.set_flood_limits(False)
    await history(shop)
    alice = await started(shop, "Alice", lang)

    await alice.open_deeplink("p_TEA-PUER")
    card = await alice.last_message()
    suggested = [label for label in gift_labels(card, title) if also in label]
    assert suggested and all(in_stars(label) for label in suggested), suggested

    await alice.send("/foryou")
    assert all(in_stars(label) for label in gift_labels(await alice.last_message(), title))

    await alice.send("/catalog")
    await alice.tap(category)
    assert all(in_stars(label) for label in gift_labels(await alice.last_message(), title))

    await alice.open_deeplink("p_DIG-GIFT50")
    await alice.tap(wish)
    await alice.send("/wishlist")
    assert all(in_stars(label) for label in gift_labels(await alice.last_message(), title))


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_suggestion_under_delivered_codes_opens_below_them(shop: Stack, lang: str) -> None:
    """The payment's confirmation of a gift card carries "You may also like": quoted in Stars, and opening one
    leaves the codes where they are."""
    title, also, *_ = LANGS[lang]
    await shop.client.set_flood_limits(False)
    await history(shop)
    bob = await started(shop, "Bob", lang)
    await bob.open_deeplink("p_DIG-GIFT100")
    await bob.tap(row=1, col=0)  # add 1 (the picker is the first row)
    await bob.send("/checkout")
    await bob.tap("⭐ 700")
    assert (await bob.pay())["status"] == "paid"
    codes = await bot_says(shop, bob, "GC100-DEMO")
    suggested = [label for label in gift_labels(codes, title) if also in label]
    assert suggested and all(in_stars(label) for label in suggested), suggested

    await bob.tap(suggested[0], message=codes)
    opened = await bob.last_message()
    assert opened is not None and opened.message_id != codes.message_id and "350" in text_of(opened)
    still = next(m for m in await bob.messages() if m.message_id == codes.message_id)
    assert "GC100-DEMO" in text_of(still), "the codes never leave the chat"
