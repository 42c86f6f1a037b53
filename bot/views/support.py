"""Customer-service views: assistant answers with their buttons, the ticket card in the support topic,
rating buttons, the order picker, support statistics. Pure functions: data in, text + keyboard out.

Everything a shopper typed is HTML-escaped here (the bot sends HTML)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import outbox
from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.orders import OrderCB
from bot.callbacks.support import SupCB, SupStatsCB
from bot.config import Settings
from bot.context import AppContext
from bot.edit_guard import shown_from_html
from bot.i18n import Html, t, t_plain
from store.money import Money
from store.support import OrderLine, ShopperSnapshot, SupportStats, TicketInfo
from store.text_units import utf16_length

BUTTON_TEXT_MAX = 24  # the search button shows the start of the shopper's text
TEXT_LIMIT = 4096  # Telegram's limits, counted in UTF-16 code units of the text as shown (tags do not count)
CAPTION_LIMIT = 1024
CARD_TURN_MAX = 200
CARD_TEXT_MAX = 3900


def staff_lang(settings: Settings) -> str:
    """The support group reads the shop's default language."""
    return settings.shop.default_language


def short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _button(text: str, cb: SupCB) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=cb.pack())


def local_date(moment: datetime, settings: Settings, fmt: str = "%Y-%m-%d") -> str:
    return moment.astimezone(ZoneInfo(settings.shop.timezone)).strftime(fmt)


def money(amount: int, currency: str) -> str:
    return Money(amount, currency).format()


def status_name(lang: str, status: str, delivery_method: str | None = None) -> str:
    """As the shopper's screens say it (bot.views.orders.status_label): a pickup order that reached "delivered"
    was collected at the counter."""
    if delivery_method == "pickup" and status == "delivered":
        status = "collected"
    key = f"support.status.{status}"
    text = t(lang, key)
    return status if text == key else text


# --- assistant answers ----------------------------------------------------------------------------------


def search_button(lang: str, text: str, turn_id: int) -> InlineKeyboardButton:
    label = t_plain(lang, "support.button.search", text=short(text, BUTTON_TEXT_MAX))
    return _button(label, SupCB(a="srch", v=turn_id))


def human_button(lang: str) -> InlineKeyboardButton:
    return _button(t(lang, "support.button.human"), SupCB(a="human"))


def answer_markup(
    lang: str, text: str | None, turn_id: int | None, rows: Sequence[Sequence[InlineKeyboardButton]] = ()
) -> InlineKeyboardMarkup:
    """An assistant answer's buttons: its own rows, then "Search '<text>'" (search stays one tap away)."""
    keyboard = [list(row) for row in rows]
    if text and turn_id is not None:
        keyboard.append([search_button(lang, text, turn_id)])
    return InlineKeyboardMarkup(inline_keyboard=keyboard)


def fallback_markup(lang: str, text: str | None, turn_id: int | None, *, human_first: bool) -> InlineKeyboardMarkup:
    """Below the threshold: rephrase or a person; after the second miss the person comes first."""
    rephrase = _button(t(lang, "support.button.rephrase"), SupCB(a="reph"))
    rows = [[human_button(lang)]] if human_first else [[rephrase, human_button(lang)]]
    return answer_markup(lang, text, turn_id, rows)


def order_picker(lang: str, orders: Sequence[OrderLine], action: str) -> list[list[InlineKeyboardButton]]:
    return [
        [
            _button(
                t(
                    lang,
                    "support.button.order",
                    order_id=o.id,
                    status=status_name(lang, o.status, o.delivery_method),
                    total=money(o.total, o.currency),
                ),
                SupCB(a=action, v=o.id),
            )
        ]
        for o in orders
    ]


def order_status_text(
    lang: str,
    settings: Settings,
    order_id: int,
    status: str,
    total: int,
    currency: str,
    created_at: datetime,
    note: str | None,
    delivery_method: str | None = None,
) -> str:
    lines = [
        t(
            lang,
            "support.orders.status",
            order_id=order_id,
            date=local_date(created_at, settings),
            status=status_name(lang, status, delivery_method),
            total=money(total, currency),
        ),
    ]
    if note:
        lines.append(t(lang, "support.orders.note", note=html.escape(note)))
    elif delivery_method == "pickup":
        # A pickup order has no courier: where to collect it and the code to say at the counter are on /orders.
        lines.append(t(lang, "support.orders.pickup_hint"))
    elif delivery_method != "digital":
        lines.append(t(lang, "support.orders.no_note"))
    return "\n".join(lines)


def never_mind_button(lang: str) -> InlineKeyboardButton:
    """The way out of the refund order picker: nothing is sent to anyone."""
    return _button(t(lang, "support.button.never_mind"), SupCB(a="rfdx"))


def cancel_button(lang: str, order_id: int) -> InlineKeyboardButton:
    """The assistant's "Cancel order #N": the /orders Cancel button (handlers/orders.py), so it asks "Cancel order
    #N?" first, like /orders; nothing is cancelled by this tap."""
    label = t(lang, "support.button.cancel_order", order_id=order_id)
    return InlineKeyboardButton(text=label, callback_data=OrderCB(action="cancel", order_id=order_id).pack())


# --- shopper side of a ticket ---------------------------------------------------------------------------


def back_to_bot_markup(lang: str, ticket_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t(lang, "support.button.back_to_bot"), SupCB(a="back", t=ticket_id))]]
    )


def withdraw_markup(lang: str, ticket_id: int, seen: int) -> InlineKeyboardMarkup:
    """ "Back to the bot" tapped on a request nobody has answered yet: withdraw it, or keep the place in the queue.
    `seen`: the newest shopper message in the ticket when asked (a later one means they still want help)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(t(lang, "support.button.withdraw"), SupCB(a="wdr", t=ticket_id, v=seen)),
                _button(t(lang, "support.button.keep_waiting"), SupCB(a="wait", t=ticket_id)),
            ]
        ]
    )


def rating_markup(ticket_id: int) -> InlineKeyboardMarkup:
    stars = [_button(f"{value}⭐", SupCB(a="rate", t=ticket_id, v=value)) for value in range(1, 6)]
    return InlineKeyboardMarkup(inline_keyboard=[stars])


def comment_markup(lang: str, ticket_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t(lang, "support.button.comment"), SupCB(a="cmt", t=ticket_id))]]
    )


# --- the ticket card in the support topic ---------------------------------------------------------------


def topic_name(lang: str, snap: ShopperSnapshot) -> str:
    name = " ".join(part for part in (snap.first_name, snap.last_name or "") if part) or str(snap.user_id)
    return t(lang, "support.topic.name", name=short(name, 80), user_id=snap.user_id)[:128]


def _reason(lang: str, ticket: TicketInfo) -> str:
    if ticket.reason == "refund" and ticket.order_id is not None:
        return t(lang, "support.topic.reason_refund", order_id=ticket.order_id)
    key = f"support.topic.reason_{ticket.reason}"
    text = t(lang, key)
    return text if text != key else t(lang, "support.topic.reason_request")


def card_status(lang: str, ticket: TicketInfo, assignee: str | None) -> str:
    if ticket.status == "taken":
        return t(lang, "support.topic.status_taken", agent=html.escape(assignee or "?"))
    if ticket.status == "closed":
        return t(lang, "support.topic.status_closed")
    return t(lang, "support.topic.status_open")


def ticket_card_text(
    lang: str,
    settings: Settings,
    ticket: TicketInfo,
    snap: ShopperSnapshot,
    *,
    assignee: str | None = None,
    tier: str | None = None,
) -> str:
    name = html.escape(" ".join(p for p in (snap.first_name, snap.last_name or "") if p) or "?")
    username = t(lang, "support.topic.username", username=html.escape(snap.username)) if snap.username else ""
    lines = [
        "<b>{}</b>".format(
            t(lang, "support.topic.card_title", ticket_id=ticket.id, status=card_status(lang, ticket, assignee))
        ),
        t(lang, "support.topic.shopper", name=name, username=username, user_id=snap.user_id, language=snap.language),
    ]
    if tier:
        lines.append(t(lang, "support.topic.tier", tier=html.escape(tier)))
    lines.append(t(lang, "support.topic.reason", reason=_reason(lang, ticket)))
    lines.append("")
    if snap.orders:
        lines.append(t(lang, "support.topic.orders"))
        lines.extend(
            t(
                lang,
                "support.topic.order_line",
                order_id=o.id,
                status=status_name(lang, o.status, o.delivery_method),
                total=money(o.total, o.currency),
                date=local_date(o.created_at, settings),
            )
            for o in snap.orders
        )
    else:
        lines.append(t(lang, "support.topic.no_orders"))
    if snap.cart:
        items = ", ".join(f"{html.escape(c.title_zh if lang == 'zh' else c.title_en)} ×{c.quantity}" for c in snap.cart)
        lines.append(t(lang, "support.topic.cart", items=short(items, 600)))
    else:
        lines.append(t(lang, "support.topic.cart_empty"))
    lines.append("")
    head = "\n".join(lines)
    # A closed ticket's card says what is true now: a reply here would not reach the shopper (outside tester).
    hint = "support.topic.hint" if ticket.active else "support.topic.closed_hint"
    tail = t(lang, hint, marker=html.escape(settings.support.internal_marker))
    turns: list[str] = []
    budget = CARD_TEXT_MAX - len(head) - len(tail) - 100
    for turn in reversed(snap.turns):  # newest first, so the budget keeps the latest exchanges
        key = "support.topic.turn_shopper" if turn.role == "shopper" else "support.topic.turn_bot"
        line = t(lang, key, text=html.escape(short(turn.text, CARD_TURN_MAX)))
        if len(line) + 1 > budget:
            break
        budget -= len(line) + 1
        turns.append(line)
    if turns:
        convo = t(lang, "support.topic.conversation") + "\n" + "\n".join(reversed(turns))
    else:
        convo = t(lang, "support.topic.no_conversation")
    return f"{head}\n{convo}\n\n<i>{tail}</i>"


def card_markup(lang: str, ticket: TicketInfo) -> InlineKeyboardMarkup | None:
    if not ticket.active:
        return None
    # Once taken, "Take over" would do nothing: the card offers to give the ticket back instead.
    first = (
        _button(t(lang, "support.topic.release"), SupCB(a="rel", t=ticket.id))
        if ticket.status == "taken"
        else _button(t(lang, "support.topic.take"), SupCB(a="take", t=ticket.id))
    )
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [first, _button(t(lang, "support.topic.assign"), SupCB(a="asg", t=ticket.id))],
            [_button(t(lang, "support.topic.close"), SupCB(a="close", t=ticket.id))],
        ]
    )


def agents_markup(lang: str, ticket_id: int, agents: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [[_button(short(name, 40), SupCB(a="asgto", t=ticket_id, v=agent_id))] for agent_id, name in agents]
    rows.append([_button(t(lang, "support.topic.back"), SupCB(a="card", t=ticket_id))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def reply_label(lang: str, style: str, agent: str) -> str:
    """How an agent's reply is signed for the shopper (config support.reply_label); "" for none."""
    if style == "none":
        return ""
    if style == "team" or not agent:
        return t(lang, "support.reply.team")
    return t(lang, "support.reply.agent", name=agent)


def fits_signed(label: str, text: str, limit: int) -> bool:
    """Whether `label` (HTML), a line break and `text` (as Telegram shows it: no tags) fit in one message or
    caption of at most `limit` units."""
    return utf16_length(shown_from_html(label, None).text) + 1 + utf16_length(text) <= limit


def mention(user_id: int, name: str) -> Html:
    return Html(f'<a href="tg://user?id={user_id}">{html.escape(name)}</a>')


# --- statistics -----------------------------------------------------------------------------------------


def _duration(lang: str, seconds: float | None) -> str:
    if seconds is None:
        return t(lang, "support.admin.none")
    minutes = round(seconds / 60)
    if minutes < 60:
        return t(lang, "support.admin.minutes", minutes=minutes)
    return t(lang, "support.admin.hours", hours=minutes // 60, minutes=minutes % 60)


def stats_text(lang: str, stats: SupportStats) -> str:
    rating = (
        t(lang, "support.admin.rating", rating=f"{stats.avg_rating:.1f}")
        if stats.avg_rating is not None
        else t(lang, "support.admin.none")
    )
    return "<b>{}</b>\n{}".format(
        t(lang, "support.admin.title", days=stats.days),
        t(
            lang,
            "support.admin.body",
            opened=stats.opened,
            closed=stats.closed,
            open_now=stats.open_now,
            first_response=_duration(lang, stats.avg_first_response_seconds),
            resolution=_duration(lang, stats.avg_resolution_seconds),
            rating=rating,
            rated=stats.rated,
        ),
    )


def stats_markup(lang: str, current: int) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            text=("• " if days == current else "") + t(lang, "support.admin.days", days=days),
            callback_data=SupStatsCB(days=days).pack(),
        )
        for days in (7, 30)
    ]
    back = InlineKeyboardButton(text=t(lang, "support.admin.back"), callback_data=AdminMenuCB(section="home").pack())
    return InlineKeyboardMarkup(inline_keyboard=[buttons, [back]])


# --- outbox renderer: messages into a support topic (SLA pings) -----------------------------------------


def render_topic_message(app: AppContext, lang: str, params: dict[str, Any]) -> outbox.Outgoing:
    staff = staff_lang(app.settings)
    text = t(staff, str(params.get("key", "")), **dict(params.get("params") or {}))
    thread = params.get("thread_id")
    return outbox.Outgoing(text=text, message_thread_id=int(thread) if thread else None)
