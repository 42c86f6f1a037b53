"""The product card's cart line, as a pure view: shown on a private card when the viewer's cart holds the product,
never on a group card (even if a count were passed), and the whole card still within Telegram's limits."""

from __future__ import annotations

import pytest

from bot.views import catalog as views
from tests.catalog.test_views import make, visible_length

LINES = {"en": "🛒 In your cart: {n}", "zh": "🛒 购物车中：{n}"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_private_card_says_how_many_the_cart_holds(lang: str) -> None:
    product = make(is_digital=False)
    shown = views.product_card(lang, product, views.CardOptions(in_cart=3), "shop_bot")
    assert LINES[lang].format(n=3) in shown.text
    for nothing in (0, None):
        assert "🛒" not in views.product_card(lang, product, views.CardOptions(in_cart=nothing), "shop_bot").text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_group_card_never_shows_a_cart(lang: str) -> None:
    """The same count that a private card shows is left off a group card: it is everyone's card."""
    product = make(is_digital=False)
    private = views.product_card(lang, product, views.CardOptions(in_cart=3), "shop_bot")
    group = views.product_card(lang, product, views.CardOptions(group=True, in_cart=3), "shop_bot")
    assert LINES[lang].format(n=3) in private.text
    assert "🛒" not in group.text and group.text == private.text.replace("\n" + LINES[lang].format(n=3), "")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("with_photo", [True, False])
def test_the_cart_line_keeps_the_card_within_telegrams_limit(lang: str, with_photo: bool) -> None:
    """The worst case: the longest title and description, a rating line and a huge count. The description gives
    way; the facts, the cart line and the rating stay whole."""
    description = {"description_en": "<b>&</b> " * 1000, "description_zh": "好" * 5000}
    rating = "⭐ 4.9 · 99999 reviews"
    options = views.CardOptions(in_cart=99_999, with_photo=with_photo, extra_line=rating)
    screen = views.product_card(lang, make(**description), options, "groupcart_bot")
    limit = views.CAPTION_LIMIT if with_photo else views.TEXT_LIMIT
    assert visible_length(screen.text) <= limit
    assert screen.text.endswith(LINES[lang].format(n=99_999) + "\n" + rating), screen.text[-80:]
    assert "…" in screen.text, "the description was clipped to make room"
