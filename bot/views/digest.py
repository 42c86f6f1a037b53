"""The weekly group digest card (store/social/digest.py): drawn at send time from the outbox row, in the
group's language, with links that open the products in the bot and the admins' on/off switch."""

from __future__ import annotations

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
    buys = params.get("buys") or []
    if buys:
        lines += ["", t(lang, "digest.buys_head")]
        for item in buys:
            lines.append(
                t(
                    lang,
                    "digest.buy_line",
                    title=_title(lang, item),
                    price=Money(int(item["price"]), item["currency"]).format(),
                    joined=int(item["joined"]),
                    min=int(item["min"]),
                    deadline=zoned(datetime.fromisoformat(item["deadline"]), zone, "%m-%d %H:%M"),
                )
            )
    sales = params.get("sales") or []
    if sales:
        lines += ["", t(lang, "digest.sales_head")]
        for item in sales:
            lines.append(
                t(
                    lang,
                    "digest.sale_line",
                    title=_title(lang, item),
                    price=Money(int(item["price"]), item["currency"]).format(),
                    starts=zoned(datetime.fromisoformat(item["starts_at"]), zone, "%m-%d %H:%M"),
                )
            )
    rows.append([switch_button(lang, enabled=True)])
    return Outgoing(text="\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))
