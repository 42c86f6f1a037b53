"""Inline results stay inside Telegram's limits whatever the catalog holds, and pages parse safely."""

from __future__ import annotations

from bot.views import inline as views
from handlers.inline import MAX_PAGE, parse_offset
from store.search import ResultItem


def item(title: str, stock: int = 3) -> ResultItem:
    return ResultItem(
        id=7, sku="TEA-1", category_id=1, title_en=title, title_zh="", price=1250, currency="CNY", stock=stock
    )


def test_long_titles_are_clipped_and_html_escaped() -> None:
    result = views.product_result("en", item("<Tea> & " + "x" * 5000), "https://t.me/shop?start=p_TEA-1")
    assert len(result.title) == views.TITLE_MAX and result.title.endswith("…")
    assert result.description is not None and len(result.description) <= views.DESCRIPTION_MAX
    text = result.input_message_content.message_text  # type: ignore[union-attr]
    assert 1 <= len(text) <= 4096 and "&lt;Tea&gt; &amp; " in text and "<b>" in text
    assert result.id == "p7" and views.product_id_of(result.id) == 7 and views.product_id_of("x7") is None


def test_sold_out_and_chinese_fallback() -> None:
    assert views.description("en", item("Tea", stock=0)) == "¥12.50 · sold out"
    assert views.card_text("zh", item("Tea", stock=2)) == "🛒 <b>Tea</b>\n💰 ¥12.50 · 库存 2"


def test_offsets() -> None:
    assert parse_offset("") == 0 and parse_offset("3") == 3 and parse_offset("-1") == 0
    assert parse_offset("abc") == 0 and parse_offset("99999999") == MAX_PAGE
