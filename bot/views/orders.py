"""The buyer's orders: list, detail with history (and pickup code), cancel confirmation, status-change
notifications, and the message that hands over a paid digital good."""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks.common import MenuCB
from bot.callbacks.orders import OrderCB, PrivacyCB
from bot.config.sections import PickupPoint
from bot.context import AppContext
from bot.i18n import has, t
from bot.outbox import Outgoing
from bot.views import social as social_views
from bot.views.clock import zoned
from bot.views.ops import opt_in_button
from store import delivery
from store.money import Money
from store.orders import OrderDetail, OrderSummary
from store.personal_lists import ListCounts

log = logging.getLogger(__name__)


def money(amount: int, currency: str) -> str:
    return Money(amount, currency).format()


def when(moment: datetime, timezone: str) -> str:
    return zoned(moment, timezone)


def status_label(lang: str, status: str, delivery_method: str | None = None) -> str:
    """A pickup order that reached "delivered" was collected by the buyer at the counter: say so."""
    if delivery_method == "pickup" and status == "delivered":
        return t(lang, "orders.status.collected")
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
                    status=status_label(lang, o.status, o.delivery_method),
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
        # Only /forgetme erases details; a flash-sale win leaves them to the payment form, which may never come.
        if order.contact_erased:
            return t(lang, "orders.delivery_erased")
        return t(lang, "orders.delivery_expired" if order.status == "expired" else "orders.delivery_none")
    return t(
        lang,
        "orders.delivery_address",
        name=html.escape(order.contact_name or ""),
        phone=html.escape(order.phone or ""),
        address=html.escape(order.address or ""),
    )


def charge_lines(
    lang: str,
    currency: str,
    *,
    delivery_fee: int = 0,
    discount: int = 0,
    points_discount: int = 0,
    points_spent: int = 0,
) -> list[str]:
    """What lies between an order's goods and its total, in the same words on every screen that shows an order
    (its detail here and for the admin, a group buy's notice and panel): a total above the goods always says why."""
    lines = []
    if delivery_fee:
        lines.append(t(lang, "orders.delivery_fee", amount=money(delivery_fee, currency)))
    if discount:
        lines.append(t(lang, "orders.discount", amount=money(discount, currency)))
    if points_discount:
        lines.append(t(lang, "orders.points", amount=money(points_discount, currency), points=points_spent))
    return lines


def total_line(lang: str, total: int, currency: str) -> str:
    return t(lang, "orders.total", amount=money(total, currency))


# The code means "hand it over": shown while the order waits at the counter, and after, for the record.
# Deep links from a group reply to the private screen of /orders, /mydata, /forgetme and /support.
PERSONAL_PREFIX = "my"
PERSONAL_COMMANDS = ("orders", "mydata", "forgetme", "support")

# An order whose pickup code the buyer is shown: confirmed to pay at the counter, or paid.
PICKUP_CODE_SHOWN = frozenset({"confirmed", "paid", "delivered"})


def detail_text(lang: str, order: OrderDetail, point: PickupPoint | None, timezone: str) -> str:
    cur = order.currency
    parts = [
        t(
            lang,
            "orders.detail_title",
            order_id=order.id,
            status=status_label(lang, order.status, order.delivery_method),
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
    parts += charge_lines(
        lang,
        cur,
        delivery_fee=order.delivery_fee,
        discount=order.discount,
        points_discount=order.points_discount,
        points_spent=order.points_spent,
    )
    parts.append(total_line(lang, order.total, cur))
    parts.append(t(lang, "orders.payment_method", method=t(lang, f"orders.method.{order.payment_method}")))
    parts.append(_delivery(lang, order, point))
    if order.pickup_code and order.status in PICKUP_CODE_SHOWN:
        parts.append(t(lang, "orders.pickup_code", code=html.escape(order.pickup_code)))
    if order.note:
        parts.append(t(lang, "orders.note", note=html.escape(order.note)))
    if order.status == "pending_payment" and order.expires_at is not None:
        parts.append(t(lang, "orders.pay_before", time=when(order.expires_at, timezone)))
    parts.append("")
    parts.append(t(lang, "orders.history"))
    for event in order.events:
        label = status_label(lang, event.to_status, order.delivery_method)
        parts.append(t(lang, "orders.history_line", time=when(event.at, timezone), status=label))
    return "\n".join(parts)


def detail(
    lang: str, order: OrderDetail, point: PickupPoint | None, timezone: str, return_days: int
) -> tuple[str, InlineKeyboardMarkup]:
    rows: list[list[InlineKeyboardButton]] = []
    if order.payable:
        rows.append([_button(t(lang, "orders.pay_button"), "pay", order.id)])
    if order.cancellable:
        rows.append([_button(t(lang, "orders.cancel_button"), "cancel", order.id)])
    if order.resendable:
        rows.append([_button(t(lang, "orders.resend_button"), "resend", order.id)])
    if order.returnable(return_days):
        rows.append([_button(t(lang, "orders.return_button"), "return", order.id)])
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


def _point_text(app: AppContext, lang: str, point_id: str | None) -> str:
    """A configured pickup point by id; group buys name theirs in free text."""
    point = next((p for p in app.settings.shop.pickup_points if p.id == point_id), None)
    if point is None:
        return html.escape(point_id or "")
    name, address = html.escape(point.name.get(lang)), html.escape(point.address.get(lang))
    return t(lang, "orders.pickup_point", name=name, address=address)


def render_status_changed(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    """Every status change the buyer did not make themselves reaches them once, with a button to the order.
    A pickup order is told where to collect it and its code, never that it "ships"."""
    order_id = int(params["order_id"])
    status = str(params["status"])
    pickup_key = f"orders.notify_pickup.{status}"
    if params.get("delivery_method") == "pickup" and has(pickup_key):
        point = _point_text(app, lang, params.get("pickup_point"))
        text = t(lang, pickup_key, order_id=order_id, point=point)
        if params.get("pickup_code") and status == "paid":
            text += "\n" + t(lang, "orders.pickup_code", code=html.escape(str(params["pickup_code"])))
    elif status == "refunded" and params.get("payment_method") == "card" and params.get("total"):
        # The shop marks it refunded when the admin starts the card refund; the bank shows it days later.
        amount = money(int(params["total"]), str(params["currency"]))
        text = t(lang, "orders.notify.refunded_card", order_id=order_id, amount=amount)
    else:
        text = t(lang, f"orders.notify.{status}", order_id=order_id)
    markup = view_button(lang, order_id)
    # A payment's notice may carry "You may also like" (bot/social.py payment_notice), below the order button.
    markup.inline_keyboard.extend(social_views.suggestion_rows_from_params(lang, params))
    return Outgoing(text=text, reply_markup=markup)


def render_goods(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    """One paid digital good: its code, link or file, in the buyer's language (store.delivery)."""
    order_id = int(params["order_id"])
    title = html.escape(str(params["title_zh"] if lang == "zh" and params.get("title_zh") else params["title_en"]))
    qty = int(params.get("quantity") or 1)
    quantity = t(lang, "orders.goods.quantity", qty=qty) if qty > 1 else ""
    head = "orders.goods.again_title" if params.get("again") else "orders.goods.title"
    lines = [t(lang, head, title=title, quantity=quantity, order_id=order_id)]
    if params.get("confirm_payment"):
        lines.insert(0, t(lang, "orders.goods.paid_header", order_id=order_id))
    kind, content = params.get("kind"), str(params.get("content") or "")
    # The order opens below, never in place of this message: the codes or link a shopper paid for stay in sight.
    buttons = [[_button(t(lang, "orders.view_button"), "open", order_id)]]
    if kind == "file":
        path = delivery.resolve_file(content)
        if path is not None:
            lines.append(t(lang, "orders.goods.file"))
            return Outgoing(text="\n".join(lines), document=(path.name, path.read_bytes()))
        log.error("order %s: digital file %r is missing or too large", order_id, content)
        kind = None
    codes = [str(c) for c in params.get("codes") or []]
    if kind == "code" and len(codes) > 1:  # one code per unit bought, each on its own line to copy
        lines.append(t(lang, "orders.goods.codes", n=len(codes)))
        lines.extend(f"{i}. <code>{html.escape(code)}</code>" for i, code in enumerate(codes, 1))
    elif kind == "code":
        lines.append(t(lang, "orders.goods.code", code=html.escape(content)))
    elif kind == "link":
        lines.append(t(lang, "orders.goods.link", url=html.escape(content)))
        buttons.insert(0, [InlineKeyboardButton(text=t(lang, "orders.goods.open_button"), url=content)])
    else:
        lines.append(t(lang, "orders.goods.missing"))
    if params.get("confirm_payment"):  # the payment's notice: "You may also like" (bot/social.py payment_notice)
        buttons += social_views.suggestion_rows_from_params(lang, params)
    return Outgoing(text="\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons))


def export_caption(lang: str, order_count: int, lists: ListCounts) -> str:
    """/mydata's caption: what the file holds beyond orders, so the shopper sees it without opening JSON."""
    flash = "on" if lists.flash_alerts else "off"
    broadcasts = "off" if lists.broadcasts_opted_out else "on"
    lines = [
        t(lang, "privacy.export_caption", orders=order_count),
        t(lang, "privacy.export_wishlist", n=lists.wishlist),
        t(lang, "privacy.export_cart", n=lists.cart),
        t(lang, f"privacy.export_flash_{flash}"),
        t(lang, f"privacy.export_broadcasts_{broadcasts}"),
        t(lang, "privacy.export_forget"),
    ]
    return "\n".join(lines)


def export_markup(lang: str, lists: ListCounts) -> InlineKeyboardMarkup | None:
    """Under /mydata's file: "Receive offers again" for a shopper who opted out of shop announcements."""
    if not lists.broadcasts_opted_out:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[[opt_in_button(lang, "md")]])


def forget_confirm(lang: str) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [InlineKeyboardButton(text=t(lang, "privacy.forget_yes"), callback_data=PrivacyCB(action="forget").pack())],
        [InlineKeyboardButton(text=t(lang, "privacy.forget_no"), callback_data=PrivacyCB(action="keep").pack())],
    ]
    return t(lang, "privacy.forget_question"), InlineKeyboardMarkup(inline_keyboard=rows)
