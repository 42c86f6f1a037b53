"""Flash-sale texts and keyboards (pure: data in, text + markup out) and the outbox renderers for the
announcement card, the winner's message and the admins' notes."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.flashsale import FlashAdminCB, FlashBuyCB, FlashPayCB, FlashReceiptCB
from bot.config.sections import PickupPoint
from bot.context import AppContext
from bot.delivery_rules import delivery_rule
from bot.i18n import t, t_plain
from bot.outbox import Outgoing
from bot.views.clock import typed_example, zone_label, zoned, zoned_hours
from store import flashsale
from store.flashsale import ClaimResult, SaleView
from store.money import STARS, Money

# /start payload prefix of the winner's "pay now" link (`fsp_<order id>`).
PAY_LINK = "fsp"
# Deep link from a group reply to /subscribe or /unsubscribe: `fss_subscribe`, `fss_unsubscribe`.
SUBSCRIPTION_LINK = "fss"


def money(amount: int, currency: str) -> str:
    return Money(int(amount), currency).format()


def local_time(value: datetime | str, timezone: str) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return zoned(moment, timezone, "%m-%d %H:%M")


def _title(params: dict[str, Any], lang: str) -> str:
    return html.escape(str(params["title_zh"] if lang == "zh" else params["title_en"]))


# ---------------------------------------------------------------------------------------------- card


def card(
    lang: str, params: dict[str, Any], timezone: str, *, stars_enabled: bool = True
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The announcement in one of its states: live (Buy), sold_out (Buy: returned units), ended (no button)."""
    state = params["state"]
    # A digital product sells for Stars only (Telegram's rule), so its card quotes Stars, as its winner pays.
    stars, regular_stars = params.get("stars"), params.get("regular_stars")
    if stars and regular_stars and stars_enabled:
        price, regular = money(stars, STARS), money(regular_stars, STARS)
    else:
        price, regular = money(params["price"], params["currency"]), money(params["regular_price"], params["currency"])
    # Units left, counted down as people buy (bot/flash_cards.py); a card drawn before the count says the total.
    stock = int(params["stock"])
    left = int(params.get("left", stock))
    units_key = "flashsale.card.units_all" if left >= stock else "flashsale.card.units_left"
    units = t(lang, units_key, left=left, stock=stock)
    text = t(
        lang,
        f"flashsale.card.{state if state in ('live', 'sold_out') else 'ended'}",
        title=_title(params, lang),
        regular=regular,
        price=price,
        units=units,
        stock=stock,
        limit=params["limit"],
        ends=local_time(params["ends_at"], timezone),
    )
    if state not in ("live", "sold_out"):
        return text, None
    button = InlineKeyboardButton(
        text=t(lang, "flashsale.card.buy", price=price), callback_data=FlashBuyCB(sale_id=params["sale_id"]).pack()
    )
    return text, InlineKeyboardMarkup(inline_keyboard=[[button]])


def render_card(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    text, markup = card(lang, params, app.settings.shop.timezone, stars_enabled=app.settings.payments.stars_enabled)
    return Outgoing(text=text, reply_markup=markup, edit_message_id=params.get("edit_message_id"))


def toast(
    lang: str,
    result: ClaimResult,
    sale_limit: int,
    window_minutes: int,
    starts: str,
    *,
    private: bool = False,
    repeat: bool = False,
    limit_reason: str | None = None,
) -> str:
    """`private`: tapped in the private chat, where "go to our private chat" would send the shopper where they are.
    `repeat`: a tap that came right after the acting one (bot/tap_guard.py) and took nothing. Someone tapping
    again and again needs to hear that the first tap counts (or that they hold a unit, and where its Pay button
    is), not the first tap's answer as if this one had been decided too.
    `limit_reason` (store.flashsale.limit_reason, looked up only for a LIMIT answer): the user's units went back
    unpaid, all or some, and still count towards the limit; "you already got one" would not be true."""
    here = "_private" if private else ""
    if result.outcome == flashsale.LIMIT and limit_reason in (
        flashsale.LIMIT_ALL_RETURNED,
        flashsale.LIMIT_SOME_RETURNED,
    ):
        return t(lang, f"flashsale.toast.limit_{limit_reason}", limit=sale_limit)
    if result.outcome == flashsale.HELD or (repeat and result.outcome in (flashsale.LIMIT, flashsale.BUSY)):
        kind = "held" if result.outcome == flashsale.HELD else result.outcome
        return t(lang, f"flashsale.toast.repeat.{kind}{here}", limit=sale_limit)
    if result.outcome == flashsale.WON:
        return t(lang, f"flashsale.toast.won{here}", minutes=window_minutes)
    if result.outcome == flashsale.LIMIT:
        return t(lang, "flashsale.toast.limit", limit=sale_limit)
    if result.outcome == flashsale.NOT_STARTED:
        return t(lang, "flashsale.toast.not_started", starts=starts)
    if result.outcome == flashsale.SOLD_OUT:
        return t(lang, "flashsale.toast.sold_out")
    if result.outcome == flashsale.BUSY:
        return t(lang, f"flashsale.toast.busy{here}")
    if result.outcome == flashsale.RETRY:
        return t(lang, "flashsale.toast.retry")
    return t(lang, "flashsale.toast.ended")


# ---------------------------------------------------------------------------------------------- winner


def render_won(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    """A digital product with a Star price is offered in Stars only (Telegram's rule for digital goods, as at a
    checkout); anything else in the shop's currency, a physical one after its delivery or pick-up choice. Delivery
    costs the shop's delivery fee (free from its threshold, as at a checkout): the message says so and each button
    names what it charges.

    With `gone` (the order ended unpaid: store.flashsale.pay_messages) it is the edit of a message that offered to
    pay, this one or the delivery or pick-up choice (`kind` "prompt"): the same text, a line saying the unit went
    back, and no buttons."""
    if params.get("gone"):
        return _render_gone(app, lang, params)
    stars = params.get("stars") if app.settings.payments.stars_enabled else None
    currency = str(params["currency"])
    goods = int(params["price"])
    price = money(stars, STARS) if stars else money(goods, currency)
    physical = not params.get("digital", False)
    # The winner's tier may give free delivery (store.growth.tiers.shopper_rule): read when the unit was won.
    rule = delivery_rule(app.settings).for_member(params.get("member_free_over"))
    fee = rule.fee_for("delivery", goods) if physical and not stars else 0
    text = t(
        lang,
        "flashsale.won",
        title=_title(params, lang),
        price=price,
        order_id=params["order_id"],
        minutes=params["minutes"],
        until=local_time(params.get("offer_expires_at") or params["expires_at"], app.settings.shop.timezone),
    )
    points = app.settings.shop.pickup_points
    if fee:
        text = f"{text}\n{fee_note(lang, fee, currency, rule.free_from, pickup=bool(points))}"
    if points and physical:
        return Outgoing(
            text=text, reply_markup=receipt_markup(lang, int(params["order_id"]), goods, fee, currency, points)
        )
    charged = price if stars else money(goods + fee, currency)
    label = t(lang, "flashsale.pay_stars" if stars else "flashsale.pay", price=charged)
    pay = InlineKeyboardButton(text=label, callback_data=FlashPayCB(order_id=params["order_id"]).pack())
    return Outgoing(text=text, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[pay]]))


def _render_gone(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    if params.get("kind") == "prompt":
        text, _ = pay_prompt(
            app,
            lang,
            int(params["order_id"]),
            int(params["subtotal"]),
            str(params["currency"]),
            member_free_over=params.get("member_free_over"),
        )
    else:
        text = render_won(app, lang, {**params, "gone": None}).text
    why = "cancelled" if params["gone"] == "cancelled" else "expired"
    note = t(lang, f"flashsale.gone.{why}", order_id=params["order_id"])
    return Outgoing(text=f"{text}\n\n{note}", edit_message_id=int(params["edit_message_id"]))


def pay_prompt(
    app: AppContext, lang: str, order_id: int, subtotal: int, currency: str, *, member_free_over: int | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """The delivery or pick-up choice `/start fsp_<order id>` answers with, as at a normal checkout: the buttons
    price the goods (the subtotal), delivery with its fee, what each choice will charge. `member_free_over`: the
    winner's free-delivery perk from their tier (store.growth.tiers.delivery_perk), which waives the fee as
    store.flashsale.choose_receipt does."""
    rule = delivery_rule(app.settings).for_member(member_free_over)
    fee = rule.fee_for("delivery", subtotal)
    text = t(lang, "flashsale.pickup.choose")
    if fee:
        note = fee_note(lang, fee, currency, rule.free_from, pickup=True)
        text = f"{text}\n{note}"
    markup = receipt_markup(lang, order_id, subtotal, fee, currency, app.settings.shop.pickup_points)
    return text, markup


def fee_note(lang: str, fee: int, currency: str, free_over: int, *, pickup: bool) -> str:
    """The delivery fee a won unit's delivery adds, with the free-delivery threshold (for this shopper:
    DeliveryRule.free_from); `pickup`: pick-up points are offered, and picking up costs nothing."""
    hint = t(lang, "flashsale.fee.free_over", amount=money(free_over, currency)) if free_over else ""
    key = "flashsale.fee.with_pickup" if pickup else "flashsale.fee.delivery"
    return t(lang, key, fee=money(fee, currency), hint=hint)


def render_expired(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    """A won unit not paid in time: it went back to the sale. While the sale is on for them, its Buy (the same
    button as the card's); else that the sale is over, or that the unpaid unit used their per-person limit. A
    notice delivered after the end time (parked, or behind a busy outbox) says it is over."""
    state = str(params.get("state", "ended"))
    ends_at = params.get("ends_at")
    if state != "ended" and ends_at and datetime.fromisoformat(str(ends_at)) <= datetime.now(UTC):
        state = "ended"
    text = t(
        lang,
        f"flashsale.expired.{state}",
        order_id=params["order_id"],
        title=_title(params, lang),
        limit=int(params.get("limit", 1)),
    )
    if state != "live":
        return Outgoing(text=text)
    button = InlineKeyboardButton(
        text=t(lang, "flashsale.expired.buy_again"), callback_data=FlashBuyCB(sale_id=int(params["sale_id"])).pack()
    )
    return Outgoing(text=text, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]))


DELIVERY = "-"  # FlashReceiptCB.r for delivery; otherwise a pick-up point id


def receipt_markup(
    lang: str, order_id: int, goods: int, fee: int, currency: str, points: Sequence[PickupPoint]
) -> InlineKeyboardMarkup:
    """Delivery or one of the pick-up points, as at a normal checkout; each button then sends the invoice and says
    what it charges: the goods and, for delivery, its fee (`fee`, 0 from the free-delivery threshold)."""
    rows = [
        [
            InlineKeyboardButton(
                text=t_plain(lang, "flashsale.pickup.delivery", price=money(goods + fee, currency)),
                callback_data=FlashReceiptCB(order_id=order_id, r=DELIVERY).pack(),
            )
        ]
    ]
    for point in points:
        label = t_plain(lang, "flashsale.pickup.point", name=point.name.get(lang), price=money(goods, currency))
        rows.append(
            [InlineKeyboardButton(text=label, callback_data=FlashReceiptCB(order_id=order_id, r=point.id).pack())]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def pickup_toast(lang: str, point: PickupPoint, timezone: str) -> str:
    hours = zoned_hours(point.hours, timezone, datetime.now(UTC))
    return t_plain(
        lang, "flashsale.pickup.chosen", name=point.name.get(lang), address=point.address.get(lang), hours=hours
    )


# ---------------------------------------------------------------------------------------------- admins


def render_summary(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    return Outgoing(
        text=t(
            lang,
            "flashsale.summary",
            sale_id=params["sale_id"],
            title=_title(params, lang),
            reason=t(lang, f"flashsale.reason.{params['reason']}"),
            paid=params["paid"],
            stock=params["stock"],
            revenue=money(params["revenue"], params["currency"]),
            pending=params["pending"],
            returned=params["returned"],
        )
    )


def render_missed(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    return Outgoing(
        text=t(
            lang,
            "flashsale.missed_note",
            sale_id=params["sale_id"],
            title=_title(params, lang),
            late_seconds=params["late_seconds"],
        )
    )


def groups_label(lang: str, sale: SaleView) -> str:
    if sale.groups is None:
        return t(lang, "flashsale.admin.all_groups")
    return t(lang, "flashsale.admin.some_groups", count=len(sale.groups))


def sale_text(lang: str, key: str, sale: SaleView, timezone: str) -> str:
    """`flashsale.admin.created` / `edited`."""
    return t(
        lang,
        key,
        sale_id=sale.id,
        title=html.escape(sale.title(lang)),
        price=sale.shown_prices[0].format(),
        stock=sale.stock,
        limit=sale.per_user_limit,
        starts=local_time(sale.starts_at, timezone),
        ends=local_time(sale.ends_at, timezone),
        groups=groups_label(lang, sale),
    )


def admin_list(lang: str, sales: Sequence[SaleView], timezone: str) -> tuple[str, InlineKeyboardMarkup]:
    lines = [t(lang, "flashsale.admin.title")]
    if not sales:
        lines.append(t(lang, "flashsale.admin.empty"))
    for sale in sales:
        lines.append(
            t(
                lang,
                "flashsale.admin.line",
                sale_id=sale.id,
                status=t(lang, f"flashsale.status.{sale.status}"),
                title=html.escape(sale.title(lang)),
                price=sale.shown_prices[0].format(),
                sold=sale.sold,
                stock=sale.stock,
                paid=sale.paid,
                starts=local_time(sale.starts_at, timezone),
                ends=local_time(sale.ends_at, timezone),
            )
        )
    lines.append("")
    now = datetime.now(UTC)
    example = typed_example(now, timezone, "%Y-%m-%dT%H:%M")
    lines.append(t(lang, "flashsale.admin.help", zone=zone_label(now, timezone), example=example))
    rows = [
        [
            InlineKeyboardButton(
                text=t(lang, "flashsale.admin.cancel", sale_id=sale.id),
                callback_data=FlashAdminCB(action="cancel", sale_id=sale.id).pack(),
            )
        ]
        for sale in sales
        if sale.status in (flashsale.SCHEDULED, flashsale.LIVE)
    ]
    rows.append(
        [
            InlineKeyboardButton(
                text=t(lang, "flashsale.admin.refresh"), callback_data=FlashAdminCB(action="list").pack()
            ),
            InlineKeyboardButton(
                text=t(lang, "flashsale.admin.back"), callback_data=AdminMenuCB(section="home").pack()
            ),
        ]
    )
    return "\n".join(lines)[:4000], InlineKeyboardMarkup(inline_keyboard=rows)
