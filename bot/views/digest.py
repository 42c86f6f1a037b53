"""The weekly group digest card (store/social/digest.py): drawn at send time from the outbox row, in the
group's language, with links that open the products in the bot and the admins' on/off switch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks.social import DigestCB
from bot.context import AppContext
from bot.deeplinks import start_link
from bot.i18n import t, t_plain
from bot.outbox import Outgoing
from bot.views.catalog import clip
from bot.views.clock import zoned
from store.money import Money

BUTTON_TITLE_MAX = 32


def _title(lang: str, item: dict[str, Any]) -> str:
    return str(item["title_zh"] if lang == "zh" and item.get("title_zh") else item["title_en"])


def switch_button(lang: str, *, enabled: bool) -> InlineKeyboardButton:
    """Turns the digest off while it is on, and back on from a card sent before it was turned off."""
    if enabled:
        return InlineKeyboardButton(text=t_plain(lang, "digest.turn_off"), callback_data=DigestCB(a="off").pack())
    return InlineKeyboardButton(text=t_plain(lang, "digest.turn_on"), callback_data=DigestCB(a="on").pack())


def with_switch(markup: InlineKeyboardMarkup | None, lang: str, *, enabled: bool) -> InlineKeyboardMarkup:
    """The card's buttons with the switch (its last row) showing the group's setting now."""
    rows = [
        row
        for row in (markup.inline_keyboard if markup is not None else [])
        if not any((button.callback_data or "").startswith(DigestCB.__prefix__ + ":") for button in row)
    ]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [switch_button(lang, enabled=enabled)]])


def _section(lang: str, head: str, items: list[dict[str, Any]], line: Callable[[dict[str, Any]], str]) -> list[str]:
    return ["", t(lang, head), *(line(item) for item in items)] if items else []


def _price(item: dict[str, Any]) -> str:
    return Money(int(item["price"]), item["currency"]).format()


def _when(item: dict[str, Any], key: str, zone: str) -> str:
    return zoned(datetime.fromisoformat(item[key]), zone, "%m-%d %H:%M")


def render_digest(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    zone = app.settings.shop.timezone
    lines = [t(lang, "digest.title")]
    rows: list[list[InlineKeyboardButton]] = []
    products = params.get("products") or []
    if products:
        lines += ["", t(lang, "digest.products_head")]
        for n, item in enumerate(products, start=1):
            lines.append(t(lang, "digest.product_line", n=n, title=_title(lang, item), buyers=int(item["buyers"])))
            if app.bot_username:
                label = t_plain(lang, "digest.open", title=clip(_title(lang, item), BUTTON_TITLE_MAX))
                rows.append([InlineKeyboardButton(text=label, url=start_link(app.bot_username, "p", item["sku"]))])
    lines += _section(
        lang,
        "digest.buys_head",
        params.get("buys") or [],
        lambda item: t(
            lang,
            "digest.buy_line",
            title=_title(lang, item),
            price=_price(item),
            joined=int(item["joined"]),
            min=int(item["min"]),
            deadline=_when(item, "deadline", zone),
        ),
    )
    lines += _section(
        lang,
        "digest.sales_head",
        params.get("sales") or [],
        lambda item: t(
            lang,
            "digest.sale_line",
            title=_title(lang, item),
            price=_price(item),
            starts=_when(item, "starts_at", zone),
        ),
    )
    rows.append([switch_button(lang, enabled=True)])
    return Outgoing(text="\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))
