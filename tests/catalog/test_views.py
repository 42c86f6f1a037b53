"""Catalog and cart views are pure: check Telegram's limits on the worst cases without a bot."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

from bot.views import cart as cart_views
from bot.views import catalog as views
from store.cart import CartLine, CartView
from store.catalog import CategoryView, ProductPage, ProductView


def make(**changes: object) -> ProductView:
    fields: dict[str, object] = {
        "id": 2_000_000_000,
        "sku": "A" * 32,
        "category_id": 2_000_000_000,
        "title_en": "T" * 128,
        "title_zh": "茶" * 128,
        "description_en": "<b>&</b> " * 100,
        "description_zh": "好" * 900,
        "price": 99_999_999_99,
        "currency": "CNY",
        "is_digital": True,
        "stars_price": 100_000,
        "stock": 99_999,
        "photo": None,
        "photo_file_id": None,
        "tags": "",
        "active": True,
        "version": 2_000_000_000,
    }
    fields.update(changes)
    return ProductView(**fields)  # type: ignore[arg-type]


def visible_length(text: str) -> int:
    """What Telegram counts: the text after HTML parsing."""
    return len(html.unescape(re.sub(r"<[^>]+>", "", text)))


def all_callbacks(screen: views.Screen) -> list[str]:
    assert screen.markup is not None
    return [b.callback_data for row in screen.markup.inline_keyboard for b in row if b.callback_data]


def test_card_fits_a_caption_and_escapes_html() -> None:
    for lang in ("en", "zh"):
        product = make()
        options = views.CardOptions(quantity=99, back_start=2_000_000_000, back_number=99_999, with_photo=True)
        screen = views.product_card(lang, product, options, "groupcart_bot")
        assert visible_length(screen.text) <= views.CAPTION_LIMIT
        assert screen.text.endswith("99999 left") or "剩余 99999 件" in screen.text
        assert "<b>&</b>" not in screen.text.split("\n", 1)[1], "descriptions are escaped"
        assert all(len(data.encode()) <= 64 for data in all_callbacks(screen))


def test_group_card_has_no_picker_and_links_to_the_private_cart() -> None:
    screen = views.product_card("en", make(is_digital=False), views.CardOptions(group=True), "shop_bot")
    assert screen.markup is not None
    texts = [b.text for row in screen.markup.inline_keyboard for b in row]
    assert "➕" not in texts and "🛒 Add to cart" in texts
    urls = [b.url for row in screen.markup.inline_keyboard for b in row if b.url]
    assert urls[0] == "https://t.me/shop_bot?start=cart_open"
    # Share: Telegram's share dialog with the product link, no one's referral code (the whole group sees it).
    shared = unquote(urls[1] or "")
    assert shared.startswith("https://t.me/share/url?url=")
    assert shared.split("url=", 1)[1].split("&text=", 1)[0] == f"https://t.me/shop_bot?start=p_{'A' * 32}"


def test_list_page_buttons_fit_and_navigate_by_keyset() -> None:
    items = tuple(make(id=1_000_000 + i, title_en=f"Tea {i}", stock=i) for i in range(3))
    category = CategoryView(7, "tea", "Tea", "茶")
    page = ProductPage(category, items, number=4, start=1_000_000, has_prev=True, has_next=True)
    screen = views.product_list("en", page)
    callbacks = all_callbacks(screen)
    assert "cg:7:1000000:3:1" in callbacks, "previous: the page before the first item"
    assert "cg:7:1000003:5:0" in callbacks, "next: from the item after the last"
    assert "page 5" in screen.text
    assert screen.markup is not None and screen.markup.inline_keyboard[0][0].text == "Tea 0 · sold out"


def test_cart_screen_totals_and_flags() -> None:
    cart = CartView(
        1,
        (
            # Physical goods (the factory's default is digital, whose lines are priced in Stars).
            CartLine(make(id=1, title_en="Tea", price=1250, stock=10, is_digital=False), 2),
            CartLine(make(id=2, title_en="Cake", price=500, stock=1, is_digital=False), 3),
            CartLine(make(id=3, title_en="Gone", price=700, active=False, is_digital=False), 1),
        ),
    )
    screen = cart_views.cart_screen("en", cart)
    assert "1. Tea × 2 — ¥25.00" in screen.text
    assert "only 1 left" in screen.text
    assert "<s>Gone</s>" in screen.text
    assert "Subtotal: <b>¥40.00</b>" in screen.text, "the hidden product does not count"
    assert "m:checkout" in all_callbacks(screen)
    empty = cart_views.cart_screen("zh", CartView(1, ()))
    assert "购物车是空的" in empty.text and "m:checkout" not in all_callbacks(empty)
