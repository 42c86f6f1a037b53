"""The buyer's orders: list, detail with history, cancel confirmation, and status-change notifications."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks.common import MenuCB
from bot.callbacks.orders import OrderCB, PrivacyCB
from bot.config.sections import PickupPoint
from bot.context import AppContext
from bot.i18n import t
from bot.outbox import Outgoing, renderer
from store.money import Money
from store.orders import OrderDetail, OrderSummary


def money(amount: int, currency: str) -> str:
    return Money(amount, currency).format()


def when(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def status_label(lang: str, status: str) -> str:
    return t(lang, f"orders.status.{status}")


def _button(text: str, action: str, order_id: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=OrderCB(action=action, order_id=order_id).pack())


def order_list(lang: str, items: Sequence[OrderSummary], timezone: str) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [
            _button(
                t(
                    lang,
                    "orders.list_item",
                    order_id=o.id,
                    status=status_label(lang, o.status),
                    amount=money(o.total, o.currency),
                    date=when(o.created_at, timezone)[:10],
                ),
                "view",
                o.id,
            )
        ]
        for o in items
    ]
    rows.append([InlineKeyboardButton(text=t(lang, "menu.home"), callback_data=MenuCB(action="home").pack())])
    text = t(lang, "orders.list_title") if items else t(lang, "orders.none")
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def _delivery(lang: str, order: OrderDetail, point: PickupPoint | None) -> str:
    if order.delivery_method == "digital":
        return t(lang, "orders.delivery_digital")
    if order.delivery_method == "pickup":
        name = html.escape(point.name.get(lang)) if point else html.escape(order.pickup_point or "")
        address = html.escape(point.address.get(lang)) if point else ""
        return t(lang, "orders.delivery_pickup", name=name, address=address)
    if not (order.contact_name or order.phone or order.address):
        return t(lang, "orders.delivery_erased")
    return t(
        lang,
        "orders.delivery_address",
        name=html.escape(order.contact_name or ""),
        phone=html.escape(order.phone or ""),
        address=html.escape(order.address or ""),
    )


def detail_text(lang: str, order: OrderDetail, point: PickupPoint | None, timezone: str) -> str:
    cur = order.currency
    parts = [
        t(
            lang,
            "orders.detail_title",
            order_id=order.id,
            status=status_label(lang, order.status),
            date=when(order.created_at, timezone),
        )
    ]
    for item in order.items:
        parts.append(
            t(
                lang,
                "orders.detail_line",
                title=html.escape(item.title(lang)),
                qty=item.quantity,
                amount=money(item.unit_price * item.quantity, cur),
            )
        )
    parts.append(t(lang, "orders.subtotal", amount=money(order.subtotal, cur)))
    if order.delivery_fee:
        parts.append(t(lang, "orders.delivery_fee", amount=money(order.delivery_fee, cur)))
    if order.discount:
        parts.append(t(lang, "orders.discount", amount=money(order.discount, cur)))
    if order.points_discount:
        parts.append(t(lang, "orders.points", amount=money(order.points_discount, cur), points=order.points_spent))
    parts.append(t(lang, "orders.total", amount=money(order.total, cur)))
    parts.append(t(lang, "orders.payment_method", method=t(lang, f"orders.method.{order.payment_method}")))
    parts.append(_delivery(lang, order, point))
    if order.note:
        parts.append(t(lang, "orders.note", note=html.escape(order.note)))
    if order.status == "pending_payment" and order.expires_at is not None:
        parts.append(t(lang, "orders.pay_before", time=when(order.expires_at, timezone)))
    parts.append("")
    parts.append(t(lang, "orders.history"))
    for event in order.events:
        parts.append(
            t(lang, "orders.history_line", time=when(event.at, timezone), status=status_label(lang, event.to_status))
        )
    return "\n".join(parts)


def detail(lang: str, order: OrderDetail, point: PickupPoint | None, timezone: str) -> tuple[str, InlineKeyboardMarkup]:
    rows: list[list[InlineKeyboardButton]] = []
    if order.payable:
        rows.append([_button(t(lang, "orders.pay_button"), "pay", order.id)])
    if order.cancellable:
        rows.append([_button(t(lang, "orders.cancel_button"), "cancel", order.id)])
    rows.append([_button(t(lang, "orders.back_button"), "list")])
    return detail_text(lang, order, point, timezone), InlineKeyboardMarkup(inline_keyboard=rows)


def cancel_confirm(lang: str, order: OrderDetail) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [_button(t(lang, "orders.cancel_yes"), "cancel_yes", order.id)],
        [_button(t(lang, "orders.cancel_no"), "view", order.id)],
    ]
    return t(lang, "orders.cancel_question", order_id=order.id), InlineKeyboardMarkup(inline_keyboard=rows)


def view_button(lang: str, order_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(t(lang, "orders.view_button"), "view", order_id)]])


@renderer("orders.status_changed")
def render_status_changed(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    """Every status change the buyer did not make themselves reaches them once, with a button to the order."""
    order_id = int(params["order_id"])
    text = t(lang, f"orders.notify.{params['status']}", order_id=order_id)
    return Outgoing(text=text, reply_markup=view_button(lang, order_id))


def forget_confirm(lang: str) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [InlineKeyboardButton(text=t(lang, "privacy.forget_yes"), callback_data=PrivacyCB(action="forget").pack())],
        [InlineKeyboardButton(text=t(lang, "privacy.forget_no"), callback_data=PrivacyCB(action="keep").pack())],
    ]
    return t(lang, "privacy.forget_question"), InlineKeyboardMarkup(inline_keyboard=rows)
