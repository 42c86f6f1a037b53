"""A product's stock screen for admins (stock, its low-stock alert threshold, Restock buttons) and the
threshold stepper. Pure: data in, text and keyboard out; every button carries the product id and, on the
stepper, the value it would set, so a screen still works after a restart."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.ops import StockCB, ThresholdCB
from bot.i18n import t, t_plain
from bot.views.ops import restock_keyboard
from store.stock_alerts import MAX_RESTOCK, StockCard

STEPS = (-5, -1, 1, 5)
INERT = "·"  # a step with nowhere to go, as in the group-buy wizard's steppers
INERT_ACTION = "nop"  # StockCB.a of an inert step; v: 1 at the maximum, 0 at zero
LIST_TITLE_CHARS = 28  # a product button stays one readable line on a phone


def threshold_button(lang: str, product_id: int, own: int | None, default: int) -> InlineKeyboardButton:
    key = "stock_card.alert_button" if own is not None else "stock_card.alert_button_default"
    value = own if own is not None else default
    return InlineKeyboardButton(
        text=t_plain(lang, key, threshold=value), callback_data=StockCB(a="thr", p=product_id, v=value).pack()
    )


def _alert_line(lang: str, card: StockCard, default: int) -> str:
    threshold = card.own_threshold if card.own_threshold is not None else default
    if threshold == 0:
        return t(lang, "stock_card.alert_off", default=default)
    if card.own_threshold is None:
        return t(lang, "stock_card.alert_default", threshold=threshold)
    return t(lang, "stock_card.alert_own", threshold=threshold, default=default)


def screen(lang: str, card: StockCard, default: int) -> tuple[str, InlineKeyboardMarkup]:
    text = t(
        lang,
        "stock_card.card",
        title=card.title(lang),
        sku=card.sku,
        stock=card.stock,
        alert=_alert_line(lang, card, default),  # already HTML (t() returns Html): inserted as it is
    )
    rows = list(restock_keyboard(lang, card.product_id, card.stock_change).inline_keyboard)
    rows.append([threshold_button(lang, card.product_id, card.own_threshold, default)])
    rows.append(
        [InlineKeyboardButton(text=t_plain(lang, "stock_card.back"), callback_data=AdminMenuCB(section="stock").pack())]
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def clamp(value: int) -> int:
    return max(0, min(MAX_RESTOCK, value))


def _step_label(step: int) -> str:
    return f"−{-step}" if step < 0 else f"+{step}"


def stepper(lang: str, card: StockCard, value: int, default: int) -> tuple[str, InlineKeyboardMarkup]:
    """`value`: the threshold shown (not saved until Save). The steps keep their places whatever the value: a
    step that would not change it (at 0 or at the maximum) is an inert "·" that says why, so the next tap in the
    same spot never does the opposite of the last one."""
    current = card.own_threshold if card.own_threshold is not None else default
    shown = card.own_threshold if card.own_threshold is not None else -1
    text = t(
        lang,
        "stock_card.stepper",
        title=card.title(lang),
        sku=card.sku,
        value=value,
        stock=card.stock,
        current=current,
        default=default,
        max=MAX_RESTOCK,
    )
    steps = [
        InlineKeyboardButton(
            text=_step_label(step), callback_data=StockCB(a="thr", p=card.product_id, v=clamp(value + step)).pack()
        )
        if clamp(value + step) != value
        else InlineKeyboardButton(
            text=INERT, callback_data=StockCB(a=INERT_ACTION, p=card.product_id, v=int(step > 0)).pack()
        )
        for step in STEPS
    ]
    rows = [steps]
    rows.append(
        [
            InlineKeyboardButton(
                text=t_plain(lang, "stock_card.save", value=value),
                callback_data=ThresholdCB(a="save", p=card.product_id, v=value, o=shown).pack(),
            )
        ]
    )
    rows.append(
        [
            InlineKeyboardButton(
                text=t_plain(lang, "stock_card.use_default", default=default),
                callback_data=ThresholdCB(a="dflt", p=card.product_id, o=shown).pack(),
            )
        ]
    )
    rows.append(
        [
            InlineKeyboardButton(
                text=t_plain(lang, "stock_card.back"), callback_data=StockCB(a="card", p=card.product_id).pack()
            )
        ]
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def product_rows(lang: str, products: Sequence[StockCard]) -> list[list[InlineKeyboardButton]]:
    """One button per product for the Stock section, opening its stock screen."""
    rows = []
    for product in products:
        title = product.title(lang)
        if len(title) > LIST_TITLE_CHARS:
            title = title[: LIST_TITLE_CHARS - 1] + "…"
        label = t_plain(lang, "stock_card.list_item", title=title, stock=product.stock)
        rows.append([InlineKeyboardButton(text=label, callback_data=StockCB(a="card", p=product.product_id).pack())])
    return rows
