"""Inline mode views: a product as an inline result (title, short description) whose message is a compact card
with an "Open in shop" deep link. Pure functions: product in, aiogram result out."""

from __future__ import annotations

import html

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)

from bot.i18n import t, t_plain
from store.search import ResultItem

# Telegram documents no hard limits for an article's title and description; clients show about one line of
# title and two of description, so longer text would only be cut on screen (and bloat the answer).
TITLE_MAX = 64
DESCRIPTION_MAX = 128
CARD_TITLE_MAX = 256
RESULTS_MAX = 50  # per answerInlineQuery
RESULT_ID_PREFIX = "p"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def result_id(item: ResultItem) -> str:
    return f"{RESULT_ID_PREFIX}{item.id}"


def product_id_of(result_id: str) -> int | None:
    """The product a chosen result showed (None for an id this module did not make)."""
    raw = result_id.removeprefix(RESULT_ID_PREFIX)
    return int(raw) if result_id.startswith(RESULT_ID_PREFIX) and raw.isdigit() else None


def _stock(lang: str, item: ResultItem) -> str:
    return t(lang, "inline.sold_out") if item.stock <= 0 else t(lang, "inline.stock", stock=item.stock)


def card_text(lang: str, item: ResultItem) -> str:
    """The message posted into the chat (HTML): title, price, stock. During a live flash sale open to everyone
    with units left, the price the product's Buy button charges now, with the card's ⚡ and the regular price
    struck through (the sale's units are apart from the product's stock, so no stock is quoted then)."""
    # a clipped title keeps the card far below TEXT_LIMIT whatever an import put in the title column
    title = html.escape(clip(item.title(lang), CARD_TITLE_MAX))
    if item.flash_price is not None:
        flash, regular = item.flash_prices()
        return t(lang, "inline.card_flash", title=title, price=flash.format(), regular=regular.format())
    price = item.paid_price.format()
    return t(lang, "inline.card", title=title, price=price, stock=_stock(lang, item))


def description(lang: str, item: ResultItem) -> str:
    """Plain text (no HTML in an article's description): the flash price, as `card_text`."""
    if item.flash_price is not None:
        flash, regular = item.flash_prices()
        text = t_plain(lang, "inline.description_flash", price=flash.format(), regular=regular.format())
        return clip(text, DESCRIPTION_MAX)
    price = item.paid_price.format()
    return clip(t(lang, "inline.description", price=price, stock=_stock(lang, item)), DESCRIPTION_MAX)


def product_result(lang: str, item: ResultItem, link: str) -> InlineQueryResultArticle:
    button = InlineKeyboardButton(text=t(lang, "inline.open"), url=link)
    return InlineQueryResultArticle(
        id=result_id(item),
        title=clip(item.title(lang), TITLE_MAX),
        description=description(lang, item),
        input_message_content=InputTextMessageContent(message_text=card_text(lang, item), parse_mode="HTML"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
    )
