"""Screens of the admin's flash-sale set-up: every step is a question with buttons (typing stays possible for
the product name, the price and the number of units)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks.admin_flash import FlashWizardCB
from bot.i18n import t, t_plain
from bot.views.clock import zoned
from store.catalog import ProductView
from store.money import Money

PRICE_PERCENTS = (10, 20, 30, 50)
STOCK_CHOICES = (5, 10, 20, 50)
LIMIT_CHOICES = (1, 2, 3)
START_CHOICES = ("now", "10m", "1h", "20h")
DURATION_MINUTES = (30, 60, 120, 1440)


@dataclass(frozen=True)
class Screen:
    text: str
    markup: InlineKeyboardMarkup | None


def _button(text: str, action: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=FlashWizardCB(a=action, v=value).pack())


def _screen(text: str, rows: list[list[InlineKeyboardButton]], lang: str) -> Screen:
    rows.append([_button(t_plain(lang, "admin_flash.btn.stop"), "stop")])
    return Screen(text, InlineKeyboardMarkup(inline_keyboard=rows))


def sale_price(price: int, percent: int) -> int:
    return price - (price * percent + 50) // 100


def product_step(lang: str, products: Sequence[ProductView], query: str | None = None) -> Screen:
    rows = [[_button(f"{p.title(lang)[:40]} · {p.money.format()} · {p.stock}", "prod", str(p.id))] for p in products]
    text = t(lang, "admin_flash.product_matches", query=query) if query else t(lang, "admin_flash.product")
    return _screen(text, rows, lang)


def price_step(lang: str, product: ProductView) -> Screen:
    rows = [
        [
            _button(
                t_plain(
                    lang,
                    "admin_flash.btn.percent",
                    percent=p,
                    price=Money(sale_price(product.price, p), product.currency).format(),
                ),
                "price",
                str(p),
            )
            for p in PRICE_PERCENTS[:2]
        ],
        [
            _button(
                t_plain(
                    lang,
                    "admin_flash.btn.percent",
                    percent=p,
                    price=Money(sale_price(product.price, p), product.currency).format(),
                ),
                "price",
                str(p),
            )
            for p in PRICE_PERCENTS[2:]
        ],
    ]
    text = t(lang, "admin_flash.price", title=product.title(lang), price=product.money.format(), stock=product.stock)
    return _screen(text, rows, lang)


def stock_step(lang: str, available: int) -> Screen:
    choices = [n for n in STOCK_CHOICES if n <= available] or [available]
    rows = [[_button(str(n), "stock", str(n)) for n in choices]]
    return _screen(t(lang, "admin_flash.stock", available=available), rows, lang)


def limit_step(lang: str) -> Screen:
    rows = [[_button(str(n), "lim", str(n)) for n in LIMIT_CHOICES]]
    return _screen(t(lang, "admin_flash.limit"), rows, lang)


def start_step(lang: str) -> Screen:
    rows = [[_button(t_plain(lang, f"admin_flash.btn.start_{key}"), "start", key) for key in START_CHOICES]]
    return _screen(t(lang, "admin_flash.start"), rows, lang)


def duration_step(lang: str) -> Screen:
    rows = [[_button(t_plain(lang, f"admin_flash.btn.dur_{m}"), "dur", str(m)) for m in DURATION_MINUTES]]
    return _screen(t(lang, "admin_flash.duration"), rows, lang)


def summary(
    lang: str,
    product: ProductView,
    price: int,
    stock: int,
    limit: int,
    starts_at: datetime,
    ends_at: datetime,
    timezone: str,
    starts_now: bool,
) -> Screen:
    text = t(
        lang,
        "admin_flash.summary",
        title=html.escape(product.title(lang)),
        price=Money(price, product.currency).format(),
        regular=product.money.format(),
        stock=stock,
        limit=limit,
        starts=t(lang, "admin_flash.starts_now") if starts_now else zoned(starts_at, timezone),
        ends=zoned(ends_at, timezone),
    )
    rows = [[_button(t_plain(lang, "admin_flash.btn.make"), "make")]]
    return _screen(text, rows, lang)
