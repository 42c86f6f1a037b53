"""Checkout screens: pure functions from data to text and keyboards."""

from __future__ import annotations

import html
from collections.abc import Sequence

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot import deeplinks
from bot.callbacks.checkout import CheckoutCB
from bot.callbacks.common import MenuCB
from bot.callbacks.orders import OrderCB
from bot.config.sections import PickupPoint
from bot.context import AppContext
from bot.i18n import t, t_plain
from bot.views.clock import zoned_hours
from store.checkout import FREE_CHOICE, Quote
from store.models import utcnow
from store.money import STARS, Money
from store.orders import Contact
from store.pricing_hooks import Adjustment


def money(amount: int, currency: str) -> str:
    return Money(amount, currency).format()


def _button(text: str, action: str, token: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=CheckoutCB(action=action, token=token, value=value).pack())


def _cancel_row(lang: str, token: str) -> list[InlineKeyboardButton]:
    return [_button(t(lang, "checkout.cancel"), "cancel", token)]


def delivery_choice(
    lang: str, token: str, points: Sequence[PickupPoint], quote: Quote | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    rows = [[_button(t(lang, "checkout.delivery_button"), "dlv", token)]]
    rows += [
        [_button(t_plain(lang, "checkout.pickup_button", name=p.name.get(lang)), "pick", token, p.id)] for p in points
    ]
    rows.append(_cancel_row(lang, token))
    text = t(lang, "checkout.choose_delivery")
    if quote is not None and quote.held_back:
        text += "\n\n" + held_back_note(lang, quote)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def contact_text(lang: str, contact: Contact) -> str:
    return t(
        lang,
        "checkout.contact_line",
        name=html.escape(contact.name or ""),
        phone=html.escape(contact.phone or ""),
        address=html.escape(contact.address or ""),
    )


def contact_choice(lang: str, token: str, contact: Contact) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [_button(t(lang, "checkout.use_saved"), "saved", token)],
        [_button(t(lang, "checkout.enter_new"), "new", token)],
        _cancel_row(lang, token),
    ]
    text = t(lang, "checkout.saved_contact", contact=contact_text(lang, contact))
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def ask_name(lang: str, token: str) -> tuple[str, InlineKeyboardMarkup]:
    """The first typed step: its text names /cancel and it has the Cancel button every other step offers."""
    return t(lang, "checkout.ask_name"), InlineKeyboardMarkup(inline_keyboard=[_cancel_row(lang, token)])


def ask_phone(lang: str) -> tuple[str, ReplyKeyboardMarkup]:
    keyboard = ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=t(lang, "checkout.share_phone"), request_contact=True)],
            [KeyboardButton(text=t(lang, "checkout.cancel_text"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    return t(lang, "checkout.ask_phone"), keyboard


def ask_address(lang: str) -> tuple[str, ReplyKeyboardRemove]:
    # The phone step's keyboard has to go, and a message has one markup: the way out here is /cancel, named.
    return t(lang, "checkout.ask_address"), ReplyKeyboardRemove()


def cancelled(lang: str) -> tuple[str, InlineKeyboardMarkup]:
    """A cancelled checkout: the cart is kept, so the way on is the cart (or the menu)."""
    row = [
        InlineKeyboardButton(text=t(lang, "menu.cart"), callback_data=MenuCB(action="cart").pack()),
        InlineKeyboardButton(text=t(lang, "menu.home"), callback_data=MenuCB(action="home").pack()),
    ]
    return t(lang, "checkout.cancelled"), InlineKeyboardMarkup(inline_keyboard=[row])


def ask_coupon(lang: str, token: str, refused: str | None = None) -> tuple[str, InlineKeyboardMarkup]:
    """The coupon step; after a refused code (`refused` says why) it asks for another, Back still there."""
    rows = [[_button(t(lang, "checkout.back_to_summary"), "back", token)]]
    if refused is not None:
        return t(lang, "checkout.coupon_again", reason=refused), InlineKeyboardMarkup(inline_keyboard=rows)
    return t(lang, "checkout.ask_coupon"), InlineKeyboardMarkup(inline_keyboard=rows)


def _delivery_line(
    lang: str, quote: Quote, point: PickupPoint | None, contact: Contact | None, timezone: str | None
) -> str:
    if quote.delivery_method == "digital":
        return t(lang, "checkout.digital_delivery")
    if quote.delivery_method == "pickup" and point is not None:
        return t(
            lang,
            "checkout.pickup_at",
            name=html.escape(point.name.get(lang)),
            address=html.escape(point.address.get(lang)),
            hours=zoned_hours(point.hours, timezone, utcnow()) if timezone else point.hours,
        )
    return t(lang, "checkout.deliver_to", contact=contact_text(lang, contact or Contact()))


def summary(
    lang: str,
    token: str,
    quote: Quote,
    *,
    point: PickupPoint | None,
    contact: Contact | None,
    coupon: str | None,
    use_points: bool,
    free_delivery_over: int,
    card: bool,
    stars: bool,
    pay_on_pickup: bool,
    timezone: str | None = None,
    coupons_enabled: bool = True,
) -> tuple[str, InlineKeyboardMarkup]:
    if quote.all_digital:
        return _stars_summary(lang, token, quote, stars)
    cur = quote.currency
    lines = [t(lang, "checkout.summary_title")]
    for line in quote.lines:
        lines.append(
            t(
                lang,
                "checkout.summary_line",
                title=html.escape(line.title(lang)),
                qty=line.quantity,
                amount=money(line.amount, cur),
            )
        )
    lines.append(t(lang, "checkout.subtotal", amount=money(quote.subtotal, cur)))
    if quote.delivery_method == "delivery":
        if quote.delivery_fee:
            hint = t(lang, "checkout.free_over", amount=money(free_delivery_over, cur)) if free_delivery_over else ""
            lines.append(t(lang, "checkout.delivery_fee", amount=money(quote.delivery_fee, cur), hint=hint))
        else:
            lines.append(t(lang, "checkout.delivery_free"))
    for adj in quote.adjustments:
        lines += _adjustment_lines(lang, adj, cur)
    if coupon and not quote.coupon_code:
        lines.append(t(lang, "checkout.coupon_not_applied", code=html.escape(coupon)))
    lines.append(t(lang, "checkout.total", amount=money(quote.total, cur)))
    lines.append("")
    lines.append(_delivery_line(lang, quote, point, contact, timezone))
    if quote.held_back:
        lines.append("")
        lines.append(held_back_note(lang, quote))
    lines.append("")
    lines.append(t(lang, "checkout.choose_payment"))

    rows: list[list[InlineKeyboardButton]] = []
    options: list[InlineKeyboardButton] = []
    if coupons_enabled:
        label = t(lang, "checkout.coupon_remove", code=coupon) if coupon else t(lang, "checkout.coupon_button")
        options.append(_button(label, "nocoupon" if coupon else "coupon", token))
    # "Using my points" only while they take something off: with nothing left to pay none are used.
    points_used = use_points and quote.points_spent > 0
    options.append(_button(t(lang, "checkout.points_on" if points_used else "checkout.points_off"), "pts", token))
    rows.append(options)
    if quote.total == 0:
        # Discounts cover it all: nothing to pay by card or at the counter, one button places the order.
        rows.append([_button(t(lang, "checkout.pay_free"), "pay", token, FREE_CHOICE)])
        rows.append(_cancel_row(lang, token))
        return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)
    if card:
        rows.append([_button(t(lang, "checkout.pay_card", amount=money(quote.total, cur)), "pay", token, "card")])
    if pay_on_pickup:
        rows.append([_button(t(lang, "checkout.pay_pickup", amount=money(quote.total, cur)), "pay", token, "pickup")])
    rows.append(_cancel_row(lang, token))
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def _adjustment_lines(lang: str, adj: Adjustment, currency: str) -> list[str]:
    """One discount's summary line; points say how many were used and, when the provider's cap let fewer in
    than the shopper has, of how many and the share of an order points may pay."""
    amount = money(adj.amount, currency)
    if adj.kind != "points" or "balance" not in adj.params:
        return [t(lang, "checkout.adjustment", label=t(lang, adj.label_key, **adj.params), amount=amount)]
    used = adj.params.get("points", adj.points_spent)
    if not adj.params.get("capped"):
        return [t(lang, "checkout.adjustment", label=t(lang, "checkout.points_used", points=used), amount=amount)]
    label = t(lang, "checkout.points_used_capped", points=used, balance=adj.params["balance"])
    return [
        t(lang, "checkout.adjustment", label=label, amount=amount),
        t(lang, "checkout.points_cap_note", percent=adj.params.get("max_share_percent", "")),
    ]


def _stars_summary(lang: str, token: str, quote: Quote, stars: bool) -> tuple[str, InlineKeyboardMarkup]:
    """Digital goods only: priced and paid in Telegram Stars, nothing else offered (Telegram's rule). Shop
    coupons and points are money discounts, so they are not offered either."""
    lines = [t(lang, "checkout.summary_title")]
    for line in quote.lines:
        amount = money((line.stars_price or 0) * line.quantity, STARS)
        title = html.escape(line.title(lang))
        lines.append(t(lang, "checkout.summary_line", title=title, qty=line.quantity, amount=amount))
    rows: list[list[InlineKeyboardButton]] = []
    if stars and quote.stars_total is not None:
        total = money(quote.stars_total, STARS)
        lines.append(t(lang, "checkout.total", amount=total))
        rows.append([_button(t(lang, "checkout.pay_stars", amount=total), "pay", token, "stars")])
    lines += ["", t(lang, "checkout.digital_delivery"), "", t(lang, "checkout.stars_only")]
    rows.append(_cancel_row(lang, token))
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def held_back_note(lang: str, quote: Quote) -> str:
    left, right = ("「", "」") if lang == "zh" else ("«", "»")
    titles = ("、" if lang == "zh" else ", ").join(
        f"{left}{html.escape(line.title(lang))}{right}" for line in quote.held_back
    )
    return t(lang, "checkout.digital_later", items=titles)


# The Stars checkout of a mixed cart's digital items: it starts below the placed order's message, which keeps what
# the shopper needs from it (the pickup code, the order's button).
NEXT_CHECKOUT = "checkout_next"


def next_checkout(lang: str, markup: InlineKeyboardMarkup | None = None) -> InlineKeyboardMarkup:
    """The placed order's buttons plus one that starts the Stars checkout of the digital items left in the cart."""
    rows = [list(row) for row in markup.inline_keyboard] if markup is not None else []
    rows.insert(
        0,
        [
            InlineKeyboardButton(
                text=t(lang, "checkout.digital_next_button"), callback_data=MenuCB(action=NEXT_CHECKOUT).pack()
            )
        ],
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def order_button(lang: str, order_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t(lang, "orders.view_button"), callback_data=OrderCB(action="view", order_id=order_id).pack()
                )
            ]
        ]
    )


def placed_for_payment(lang: str, order_id: int, total: int, currency: str, minutes: int) -> str:
    return t(lang, "checkout.placed_pay", order_id=order_id, amount=money(total, currency), minutes=minutes)


def placed_pickup(lang: str, order_id: int, total: int, currency: str, point: PickupPoint | None) -> str:
    name = html.escape(point.name.get(lang)) if point else ""
    address = html.escape(point.address.get(lang)) if point else ""
    return t(
        lang, "checkout.placed_pickup", order_id=order_id, amount=money(total, currency), name=name, address=address
    )


def open_private(lang: str, url: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t(lang, "checkout.open_private"), url=url)]]
    )


# The deep link that brings a shopper from a group into the private checkout.
DEEPLINK = "co"


def pickup_point(ctx: AppContext, point_id: str | None) -> PickupPoint | None:
    return next((p for p in ctx.settings.shop.pickup_points if p.id == point_id), None)


def private_link(ctx: AppContext) -> str:
    return deeplinks.start_link(ctx.bot_username, DEEPLINK, "cart")
