"""/admin screens: the shared menu, order queues, one order with its actions, refunds, stock and stats."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.admin_menu import AdminSection
from bot.callbacks.admin import AdminListCB, AdminMenuCB, AdminOrderCB, AdminRefundCB
from bot.config.sections import PickupPoint
from bot.i18n import t, t_plain
from bot.views import stock_card
from bot.views.common import buyer_label
from bot.views.orders import detail_text, money, status_label
from store import orders
from store.order_queues import QUEUE_KINDS, Buyer, QueueLine
from store.orders import OrderDetail, Stats
from store.payments import RefundTask
from store.stock_alerts import StockCard

# The order queues an admin works through (store.order_queues decides which orders each holds).
QUEUES: tuple[str, ...] = QUEUE_KINDS


def _menu_button(lang: str, section: str, key: str = "admin.back") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=t(lang, key), callback_data=AdminMenuCB(section=section).pack())


def menu(lang: str, sections: Sequence[AdminSection]) -> tuple[str, InlineKeyboardMarkup]:
    rows = [[_menu_button(lang, s.key, s.label_key)] for s in sections]
    return t(lang, "admin.title"), InlineKeyboardMarkup(inline_keyboard=rows)


def orders_section(lang: str, counts: dict[str, int], refunds: int) -> tuple[str, InlineKeyboardMarkup]:
    rows = []
    for kind in QUEUES:
        label = t(lang, f"admin.queue.{kind}", count=counts.get(kind, 0))
        rows.append([InlineKeyboardButton(text=label, callback_data=AdminListCB(kind=kind).pack())])
    rows.append(
        [
            InlineKeyboardButton(
                text=t(lang, "admin.queue.refunds", count=refunds), callback_data=AdminListCB(kind="refunds").pack()
            )
        ]
    )
    rows.append([_menu_button(lang, "home")])
    return t(lang, "admin.orders_title"), InlineKeyboardMarkup(inline_keyboard=rows)


def order_queue(lang: str, kind: str, items: Sequence[QueueLine]) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [
            InlineKeyboardButton(
                text=t_plain(
                    lang,
                    "admin.order_item",
                    order_id=o.id,
                    buyer=o.buyer.name,
                    status=status_label(lang, o.status, o.delivery_method),
                    amount=money(o.total, o.currency),
                    count=o.items_count,
                )
                + (t_plain(lang, "admin.order_item_code", code=o.pickup_code) if o.pickup_code else ""),
                callback_data=AdminOrderCB(action="view", order_id=o.id, q=kind).pack(),
            )
        ]
        for o in items
    ]
    rows.append([_menu_button(lang, "orders")])
    title = t(lang, f"admin.queue_title.{kind}") if items else t(lang, "admin.queue_empty")
    return title, InlineKeyboardMarkup(inline_keyboard=rows)


def _actions(order: OrderDetail) -> list[str]:
    status = order.status
    if status == orders.PAID:
        handover = {"delivery": "ship", "pickup": "collect"}.get(order.delivery_method, "deliver")
        return [handover, "refund"]
    if status == orders.SHIPPED:
        return ["deliver", "refund"]
    if status == orders.DELIVERED:
        return ["refund"]
    if status == orders.CONFIRMED:
        return ["pickedup", "cancel"]
    if status == orders.PENDING_PAYMENT:
        return ["cancel"]
    return []


def back_to_queue(lang: str, queue: str) -> InlineKeyboardButton:
    """Back from an order goes to the queue it was opened from (the orders menu when that is unknown)."""
    if queue in QUEUES:
        return InlineKeyboardButton(text=t(lang, "admin.back"), callback_data=AdminListCB(kind=queue).pack())
    return _menu_button(lang, "orders")


def order_view(
    lang: str, order: OrderDetail, point: PickupPoint | None, timezone: str, buyer: Buyer | None = None, queue: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    who = ""
    if buyer is not None:
        who = t(lang, "admin.order_buyer", name=buyer_label(lang, buyer), user_id=order.user_id)
    text = (who + "\n" if who else "") + detail_text(lang, order, point, timezone)
    rows = []
    for action in _actions(order):
        # Both hand a pickup order over at the counter: it becomes "delivered", which reads "Collected".
        callback = "deliver" if action in ("pickedup", "collect") else action
        rows.append(
            [
                InlineKeyboardButton(
                    text=t(lang, f"admin.action.{action}"),
                    callback_data=AdminOrderCB(action=callback, order_id=order.id, q=queue).pack(),
                )
            ]
        )
    rows.append([back_to_queue(lang, queue)])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def refund_confirm(lang: str, order: OrderDetail, queue: str = "") -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [
            InlineKeyboardButton(
                text=t(lang, "admin.refund_yes"),
                callback_data=AdminOrderCB(action="refund_yes", order_id=order.id, q=queue).pack(),
            )
        ],
        [
            InlineKeyboardButton(
                text=t(lang, "admin.refund_no"),
                callback_data=AdminOrderCB(action="view", order_id=order.id, q=queue).pack(),
            )
        ],
    ]
    text = t(lang, "admin.refund_question", order_id=order.id, amount=money(order.total, order.currency))
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def refund_queue(lang: str, tasks: Sequence[RefundTask]) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [
            InlineKeyboardButton(
                text=t(
                    lang,
                    "admin.refund_item",
                    payment_id=task.payment_id,
                    order_id=task.order_id,
                    amount=money(task.amount, task.currency),
                    method=t(lang, f"orders.method.{task.method}"),
                ),
                callback_data=AdminRefundCB(action="view", payment_id=task.payment_id).pack(),
            )
        ]
        for task in tasks
    ]
    rows.append([_menu_button(lang, "orders")])
    title = t(lang, "admin.queue_title.refunds") if tasks else t(lang, "admin.queue_empty")
    return title, InlineKeyboardMarkup(inline_keyboard=rows)


def refund_view(lang: str, task: RefundTask, buyer: Buyer) -> tuple[str, InlineKeyboardMarkup]:
    action = "retry" if task.method == "stars" else "done"
    text = t(
        lang,
        "admin.refund_detail",
        payment_id=task.payment_id,
        order_id=task.order_id,
        buyer=buyer_label(lang, buyer),
        amount=money(task.amount, task.currency),
        method=t(lang, f"orders.method.{task.method}"),
        charge=html.escape(task.charge_id or "-"),
    )
    rows = [
        [
            InlineKeyboardButton(
                text=t(lang, f"admin.refund_{action}"),
                callback_data=AdminRefundCB(action=action, payment_id=task.payment_id).pack(),
            )
        ],
        [InlineKeyboardButton(text=t(lang, "admin.back"), callback_data=AdminListCB(kind="refunds").pack())],
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


# The demo catalog's first product: the example when the catalog is still empty.
FALLBACK_SKU = "FRU-APPLE"


def stock_prompt(lang: str, sku: str, products: Sequence[StockCard] = ()) -> tuple[str, InlineKeyboardMarkup]:
    """The "SKU +5" prompt, and the products with the least stock as buttons to their stock screens."""
    text = t(lang, "admin.stock_prompt", sku=sku)
    if products:
        text += "\n\n" + t(lang, "stock_card.list_head")
    rows = stock_card.product_rows(lang, products)
    rows.append([_menu_button(lang, "home")])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def stock_matches(lang: str, words: str, products: Sequence[StockCard]) -> tuple[str, InlineKeyboardMarkup]:
    """Products whose name contains what the admin typed, as buttons to their stock screens."""
    rows = stock_card.product_rows(lang, products)
    rows.append([_menu_button(lang, "home")])
    return t(lang, "admin.stock_matches", words=words), InlineKeyboardMarkup(inline_keyboard=rows)


@dataclass(frozen=True)
class StockChange:
    """What a typed "SKU ±n" did: the stock now and the change made (0: nothing changed)."""

    sku: str
    stock: int
    delta: int


def stock_done(lang: str, done: StockChange, *, more: bool = False) -> tuple[str, InlineKeyboardMarkup]:
    """Says exactly what was done (added or removed how many, from what), so a bare "SKU 5" cannot be mistaken
    for "set to 5". `more`: the Stock section is still reading changes."""
    before = done.stock - done.delta
    if done.delta == 0:
        text = t(lang, "admin.stock_unchanged", sku=done.sku, stock=done.stock)
    else:
        key = "admin.stock_done_added" if done.delta > 0 else "admin.stock_done_removed"
        text = t(lang, key, sku=done.sku, stock=done.stock, n=abs(done.delta), before=before)
    if more:
        text += "\n" + t(lang, "admin.stock_more")
    rows = [
        [InlineKeyboardButton(text=t(lang, "admin.stock_again"), callback_data=AdminMenuCB(section="stock").pack())],
        [_menu_button(lang, "home")],
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def stock_bad_amount(lang: str, sku: str, code: str, typed: str) -> str:
    """A change of a known SKU whose amount is not a whole number: what is wrong, then examples with that SKU."""
    return t(lang, f"errors.{code}", text=typed) + " " + t(lang, "admin.stock_amount_example", sku=sku)


def _amounts(values: dict[str, int]) -> str:
    return ", ".join(money(amount, cur) for cur, amount in sorted(values.items())) or "0"


def stats(lang: str, data: Stats) -> tuple[str, InlineKeyboardMarkup]:
    statuses = "\n".join(
        t(lang, "admin.stats_status", status=status_label(lang, s), count=n) for s, n in sorted(data.by_status.items())
    )
    text = t(
        lang,
        "admin.stats",
        orders=data.orders_since,
        paid=data.paid_since,
        revenue_today=_amounts(data.revenue_since),
        revenue_total=_amounts(data.revenue_total),
        statuses=statuses or "-",
    )
    return text, InlineKeyboardMarkup(inline_keyboard=[[_menu_button(lang, "home")]])
