"""The cart screen: lines with their quantity buttons, the subtotal, clear and checkout. Pure: cart in, text out."""

from __future__ import annotations

import html

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks.cart import CartCB
from bot.callbacks.catalog import ProductCB
from bot.callbacks.common import MenuCB
from bot.i18n import t, t_plain
from bot.views.catalog import Screen, clip
from store.cart import CartLine, CartView
from store.money import STARS

LINE_BUTTON_TITLE_MAX = 24
# Telegram allows 100 buttons per message: lines past this many are shown but edited by opening their card.
MAX_LINE_ROWS = 20


def _button(text: str, callback_data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=callback_data)


def _line_text(lang: str, number: int, line: CartLine) -> str:
    title = html.escape(line.product.title(lang))
    if not line.available:
        return t(lang, "cart.line_unavailable", n=number, title=title, qty=line.quantity)
    text = t(lang, "cart.line", n=number, title=title, qty=line.quantity, total=line.total.format())
    if line.over_stock:
        text += "\n" + t(lang, "cart.line_over_stock", stock=line.product.stock)
    return text


def _line_buttons(lang: str, line: CartLine) -> list[InlineKeyboardButton]:
    product = line.product
    label = t_plain(lang, "cart.line_button", title=clip(product.title(lang), LINE_BUTTON_TITLE_MAX), qty=line.quantity)
    open_card = ProductCB(a="open", p=product.id, o="c").pack()
    remove = _button("✖️", CartCB(a="rm", p=product.id, v=product.version).pack())
    if not line.available:
        return [_button(label, open_card), remove]
    return [
        _button("➖", CartCB(a="dec", p=product.id, v=product.version, q=line.quantity).pack()),
        _button(label, open_card),
        _button("➕", CartCB(a="inc", p=product.id, v=product.version, q=line.quantity).pack()),
        remove,
    ]


def empty_cart(lang: str, head: str = "") -> tuple[str, InlineKeyboardMarkup]:
    """An empty cart says so and leads to the catalog (also where a checkout finds the cart empty)."""
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(t(lang, "cart.catalog"), MenuCB(action="catalog").pack()),
                _button(t(lang, "cart.menu"), MenuCB(action="home").pack()),
            ]
        ]
    )
    return head + t(lang, "cart.empty"), markup


def cart_screen(lang: str, cart: CartView, *, notice: str | None = None) -> Screen:
    """`notice` is a first line such as "Added ... from the group"."""
    head = f"{notice}\n\n" if notice else ""
    if cart.empty:
        return Screen(*empty_cart(lang, head))
    lines = [_line_text(lang, number, line) for number, line in enumerate(cart.lines, start=1)]
    subtotals = cart.subtotals
    parts = [head + t(lang, "cart.title"), "\n".join(lines)]
    # Per currency: digital lines are paid apart, in Telegram Stars, so they have their own total.
    regular = [m for m in subtotals if m.currency != STARS]
    stars = [m for m in subtotals if m.currency == STARS]
    totals = []
    if regular:
        totals.append(t(lang, "cart.subtotal", subtotal=" + ".join(m.format() for m in regular)))
    if stars:
        key = "cart.subtotal_stars_apart" if regular else "cart.subtotal_stars"
        totals.append(t(lang, key, subtotal=stars[0].format()))
    if totals:
        parts.append("\n".join(totals))
    rows = [_line_buttons(lang, line) for line in cart.lines[:MAX_LINE_ROWS]]
    bottom = [_button(t(lang, "cart.clear"), CartCB(a="clear").pack())]
    if subtotals:
        bottom.append(_button(t(lang, "cart.checkout"), MenuCB(action="checkout").pack()))
    rows.append(bottom)
    rows.append(
        [
            _button(t(lang, "cart.catalog"), MenuCB(action="catalog").pack()),
            _button(t(lang, "cart.menu"), MenuCB(action="home").pack()),
        ]
    )
    return Screen("\n\n".join(parts), InlineKeyboardMarkup(inline_keyboard=rows))
