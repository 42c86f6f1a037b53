"""The wishlist heart on a group's card, tapped by someone who never started the bot, answered "see /wishlist in
our private chat" with no link, while Add to cart in the same situation opens the bot through a start link. The
heart now does the same: its toast carries the link to the wishlist in the private chat. For someone who started
the bot the toast stays as it was (tests/social/test_social_e2e.py)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from bot.i18n import t
from bot.sandbox import Stack
from tests.social.group_helpers import group_card

pytestmark = pytest.mark.seeded


@pytest.mark.parametrize(
    ("lang", "category", "product"),
    [("en", "Drinks & tea", "Aged Pu'er tea cake"), ("zh", "茶饮酒水", "普洱熟茶饼")],
)
async def test_heart_in_group_links_a_newcomer_to_the_wishlist(
    shop: Stack, lang: str, category: str, product: str
) -> None:
    pat = await shop.client.user("Pat", lang=lang)  # never started the bot
    group = await group_card(shop, lang, category, product, pat)
    tapped = await pat.tap(t(lang, "social.wish_group"), chat=group)
    assert tapped.toast is not None and tapped.toast.url, tapped.toast
    payload = parse_qs(urlparse(tapped.toast.url).query)["start"][0]

    await pat.open_deeplink(payload)  # where Telegram takes them
    shown = await pat.last_message()
    assert shown is not None and product in "".join(b.text for row in shown.buttons for b in row), shown
