"""The wishlist heart on a group's shared card said "Added to your wishlist" on every tap, even when the product
was already in the tapper's wishlist, while the private chat's heart says "Already in your wishlist". In a group
the toast now says which, for each tapper's own wishlist (another member's first tap still adds), in English and
Chinese, and for a member who never started the bot too (whose toast still opens the bot on the wishlist)."""

from __future__ import annotations

import pytest

from bot.emulator.client import ChatHandle, UserHandle
from bot.i18n import t_plain
from bot.sandbox import Stack
from tests.social.group_helpers import group_card

pytestmark = pytest.mark.seeded

CASES = [("en", "Drinks & tea", "Aged Pu'er tea cake"), ("zh", "茶饮酒水", "普洱熟茶饼")]


async def heart_toast(user: UserHandle, lang: str, group: ChatHandle) -> tuple[str, str | None]:
    tapped = await user.tap(t_plain(lang, "social.wish_group"), chat=group)
    assert tapped.toast is not None, tapped
    return tapped.toast.text or "", tapped.toast.url


@pytest.mark.parametrize(("lang", "category", "product"), CASES)
async def test_a_second_heart_in_a_group_says_already_in_your_wishlist(
    shop: Stack, lang: str, category: str, product: str
) -> None:
    alice = await shop.client.user("Alice", lang=lang)
    bob = await shop.client.user("Bob", lang=lang)
    for member in (alice, bob):
        await member.send("/start")
    group = await group_card(shop, lang, category, product, alice, bob)

    added, already = t_plain(lang, "social.wished_group"), t_plain(lang, "social.already_wished_group")
    assert added != already
    assert await heart_toast(alice, lang, group) == (added, None)
    assert await heart_toast(alice, lang, group) == (already, None)
    # Bob's wishlist is his own: his first tap on the same card adds, his second finds it there.
    assert await heart_toast(bob, lang, group) == (added, None)
    assert await heart_toast(bob, lang, group) == (already, None)
    assert await heart_toast(alice, lang, group) == (already, None)
    if lang == "en":
        assert "Already in your wishlist" in already and "/wishlist" in already
    else:
        assert "已经在您的心愿单里了" in already and "已加入" not in already


@pytest.mark.parametrize(("lang", "category", "product"), CASES)
async def test_a_second_heart_from_a_newcomer_says_already_and_still_opens_the_bot(
    shop: Stack, lang: str, category: str, product: str
) -> None:
    pat = await shop.client.user("Pat", lang=lang)  # never started the bot
    group = await group_card(shop, lang, category, product, pat)

    first, first_url = await heart_toast(pat, lang, group)
    again, again_url = await heart_toast(pat, lang, group)
    assert first == t_plain(lang, "social.wished_group_start") and first_url
    assert again == t_plain(lang, "social.already_wished_group_start") and again_url == first_url
