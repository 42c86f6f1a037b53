"""Group-buy screens: the group card, a participant's panel, the leader's wizard and desk, and the outbox
renderers for participants' notices. Pure functions: data in, text and keyboard out."""

from __future__ import annotations

import calendar
import html
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks.groupbuy import GroupBuyCB, LeaderCB, PriceEditCB, WizardCB
from bot.config.sections import PickupPoint
from bot.context import AppContext
from bot.deeplinks import start_link
from bot.i18n import t, t_plain
from bot.outbox import Outgoing
from bot.views import catalog as catalog_views
from bot.views import checkout as checkout_views
from bot.views import orders as order_views
from bot.views.clock import zone_label, zoned
from bot.views.common import buyer_label
from bot.views.flashsale import fee_note
from dialogues.groupbuy_wizard import PERCENT_STEP
from store import orders
from store.catalog import CategoryView, ProductView
from store.delivery_fee import DeliveryRule
from store.groupbuy import (
    MAX_TIERS,
    DeadlineChoice,
    GroupBuyView,
    LeaderLine,
    LeaderOverview,
    ParticipantView,
    Tier,
    format_remaining,
    maximum_choices,
    next_tier,
    price_for,
    receive_of,
    shown_tiers,
)
from store.groupbuy.counts import Counts, counts_problem, steppers
from store.models import utcnow
from store.money import Money, exponent
from store.order_queues import Buyer

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
DEEPLINK_PREFIX = "g"
WIZARD_LINK_PREFIX = "gw"


@dataclass(frozen=True)
class Screen:
    text: str
    markup: InlineKeyboardMarkup | None = None


def _button(text: str, callback_data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=callback_data)


def _markup(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup | None:
    kept = [list(row) for row in rows if row]
    return InlineKeyboardMarkup(inline_keyboard=kept) if kept else None


def _money(amount: int, currency: str) -> str:
    return Money(amount, currency).format()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pickup_label(points: Sequence[PickupPoint], value: str | None, lang: str) -> str | None:
    """A configured point shows its name and address; typed text shows as typed."""
    if not value:
        return None
    for point in points:
        if point.id == value:
            return f"{point.name.get(lang)} — {point.address.get(lang)}"
    return value


def remaining(lang: str, deadline: datetime, now: datetime) -> str:
    days, hours, minutes = format_remaining(deadline, now)
    if days:
        return t(lang, "groupbuy.left.days", d=days, h=hours)
    if hours:
        return t(lang, "groupbuy.left.hours", h=hours, m=minutes)
    return t(lang, "groupbuy.left.minutes", m=minutes)


def local_time(moment: datetime, timezone: str) -> str:
    return zoned(moment, timezone)


def tier_lines(
    lang: str, tiers: Sequence[Tier], minimum: int, base_price: int, currency: str, reached: int | None = None
) -> str:
    lines = []
    for tier in shown_tiers(tiers, minimum):
        mark = "✅" if reached is not None and reached >= tier.min_participants else "▫️"
        lines.append(
            t(
                lang,
                "groupbuy.tier_line",
                mark=mark,
                n=tier.min_participants,
                price=_money(tier.unit_price, currency),
                off=(base_price - tier.unit_price) * 100 // base_price,
            )
        )
    return "\n".join(lines)


def _cap(lang: str, view: GroupBuyView) -> str:
    if view.max_participants is None:
        return ""
    return t(lang, "groupbuy.progress_cap", max=view.max_participants)


def joined_count(lang: str, view: GroupBuyView) -> str:
    """ "3 joined · 5 needed · up to 20 people": words, never "3/5" (read as "3 of 5 left")."""
    return t(lang, "groupbuy.count_short", joined=view.joined, target=view.min_participants, cap=_cap(lang, view))


def progress(lang: str, view: GroupBuyView, now: datetime) -> str:
    """ "0 joined · 3 needed · up to 20 people, 23h left", then "5 joined · goal of 3 reached …" once the minimum
    is reached: the counts are named, never "0/3" (shoppers read that as three places left)."""
    key = "groupbuy.progress" if view.joined < view.min_participants else "groupbuy.progress_count"
    params: dict[str, Any] = {"joined": view.joined, "target": view.min_participants, "cap": _cap(lang, view)}
    if view.is_open:
        return t(lang, key, left=remaining(lang, view.deadline, now), **params)
    return t(lang, key + "_closed", **params)


def when_line(lang: str, view: GroupBuyView, timezone: str) -> str:
    """An open buy's deadline; a finished one says when it ended (a deadline would read as still open)."""
    if view.is_open:
        return t(lang, "groupbuy.deadline_line", at=local_time(view.deadline, timezone))
    return t(lang, "groupbuy.ended_line", at=local_time(view.closed_at or view.deadline, timezone))


def _status_line(lang: str, view: GroupBuyView) -> str:
    if view.is_open and view.sold_out:
        return t(lang, "groupbuy.sold_out_line")
    if view.is_open and view.full:
        return t(lang, "groupbuy.full_line")
    if view.is_open:
        missing = max(0, view.min_participants - view.joined)
        upcoming = next_tier(view.tiers, view.joined)
        if missing:
            # Below the minimum no tier is reached: what the minimum would give is said as such, not as "now".
            if view.price_at_minimum < view.base_price:
                price = _money(view.price_at_minimum, view.currency)
                return t(lang, "groupbuy.needs_more_price", n=missing, price=price)
            return t(lang, "groupbuy.needs_more", n=missing)
        if upcoming is not None:
            return t(
                lang,
                "groupbuy.next_tier",
                n=upcoming.min_participants - view.joined,
                price=_money(upcoming.unit_price, view.currency),
            )
        return t(lang, "groupbuy.best_price")
    if view.status == "succeeded":
        return t(lang, "groupbuy.status.succeeded", price=_money(view.current_price, view.currency))
    return t(lang, f"groupbuy.status.{view.status}")


def _price_line(lang: str, view: GroupBuyView) -> str:
    """The price the people who joined have reached (GroupBuyView.current_price): the regular price until a tier
    is reached, said as such."""
    price = _money(view.current_price, view.currency)
    if view.current_price >= view.base_price:
        return t(lang, "groupbuy.price_line_regular", price=price)
    return t(lang, "groupbuy.price_line", price=price, regular=_money(view.base_price, view.currency))


def describe(lang: str, view: GroupBuyView, now: datetime, pickup: str | None, timezone: str) -> str:
    """The body shared by the group card and the private view."""
    parts = [
        t(lang, "groupbuy.card_title", title=html.escape(view.title(lang))),
        _price_line(lang, view),
        tier_lines(lang, view.tiers, view.min_participants, view.base_price, view.currency, view.joined),
        progress(lang, view, now),
        _status_line(lang, view),
        when_line(lang, view, timezone),
    ]
    if view.is_open:
        parts.append(t(lang, "groupbuy.limit_line", n=view.per_person_limit, min=view.min_participants))
    if pickup and not view.product.is_digital:  # a digital product is never picked up
        parts.append(t(lang, "groupbuy.pickup_line", point=html.escape(pickup)))
    return "\n".join(parts)


def buy_link(bot_username: str, group_buy_id: int) -> str:
    """Opens this buy in the private chat, where the friend can join it."""
    return start_link(bot_username, DEEPLINK_PREFIX, str(group_buy_id))


def share_button(lang: str, view: GroupBuyView, bot_username: str) -> InlineKeyboardButton:
    """Telegram's share dialog with the buy's link: the tapper picks a friend or a chat to invite."""
    text = t_plain(lang, "groupbuy.share_text", title=view.title(lang))
    return InlineKeyboardButton(
        text=t(lang, "groupbuy.btn.share"), url=catalog_views.share_url(buy_link(bot_username, view.id), text)
    )


def card(
    lang: str, view: GroupBuyView, now: datetime, bot_username: str, pickup: str | None, timezone: str, *, photo: bool
) -> Screen:
    """The card in the group: edited in place as people join and the countdown moves."""
    text = _clip(describe(lang, view, now, pickup, timezone), CAPTION_LIMIT if photo else TEXT_LIMIT)
    if not view.is_open:
        return Screen(text, None)
    # Sold out or full: no Join that could only be refused (a Join tapped earlier still gets the toast).
    join = [_button(t(lang, "groupbuy.btn.join"), GroupBuyCB(a="j", g=view.id).pack())] if view.joinable else []
    rows = [
        [*join, _button(t(lang, "groupbuy.btn.leave"), GroupBuyCB(a="l", g=view.id).pack())],
        [share_button(lang, view, bot_username)],
    ]
    return Screen(text, _markup(rows))


def private_view(
    lang: str,
    view: GroupBuyView,
    part: ParticipantView | None,
    now: datetime,
    pickup: str | None,
    timezone: str,
    *,
    pickup_payment: bool,
    delivery: DeliveryRule,
) -> Screen:
    """The group buy in a private chat: a join button, or the participant's own panel. `delivery`: the shop's
    delivery rule (GroupBuyPolicy.delivery), what the order will charge for delivery to the door."""
    body = describe(lang, view, now, pickup, timezone)
    if part is None:
        if not view.joinable:
            return Screen(body)
        rows = [[_button(t(lang, "groupbuy.btn.join"), GroupBuyCB(a="j", g=view.id).pack())]]
        return Screen(body, _markup(rows))
    return panel(lang, view, part, body, pickup, pickup_payment=pickup_payment, delivery=delivery)


def panel(
    lang: str,
    view: GroupBuyView,
    part: ParticipantView,
    body: str,
    pickup: str | None,
    *,
    pickup_payment: bool,
    delivery: DeliveryRule,
) -> Screen:
    """A participant's choices while the buy is open: quantity, how to receive (with what delivery to the door
    adds, as a checkout says it), leave."""
    if view.product.is_digital:
        receive = t(lang, "groupbuy.receive.digital")
    elif part.delivery_method != "delivery" and not view.pickup_point:
        receive = t(lang, "groupbuy.receive.needs_address")
    elif part.delivery_method == "delivery":
        receive = t(lang, "groupbuy.receive.delivery", address=html.escape(part.address or ""))
    elif part.pay_on_pickup:
        receive = t(lang, "groupbuy.receive.pickup_pay", point=html.escape(pickup or ""))
    else:
        receive = t(lang, "groupbuy.receive.pickup", point=html.escape(pickup or ""))
    if not view.is_open:
        # Ended: what this participant got (the order) or that nothing will be charged; nothing left to choose.
        return Screen(_clip("\n".join([body, "", *_panel_outcome(lang, view, part, receive)]), TEXT_LIMIT))
    lines = [body, "", t(lang, "groupbuy.you_joined", qty=part.quantity, limit=view.per_person_limit), receive]
    if receive_of(view, part) == "delivery":  # also a buy without pickup point before the address is given
        lines.append(delivery_fee_line(lang, view, part.quantity, delivery.for_member(part.member_free_over)))
    lines.append(_pay_later(lang, view))
    text = "\n".join(lines)
    qty_row = []
    if part.quantity > 1:
        qty_row.append(_button("➖", GroupBuyCB(a="q", g=view.id, v=part.quantity - 1).pack()))
    qty_row.append(_button(t(lang, "groupbuy.btn.qty", qty=part.quantity), GroupBuyCB(a="s", g=view.id).pack()))
    if part.quantity < view.per_person_limit:
        qty_row.append(_button("➕", GroupBuyCB(a="q", g=view.id, v=part.quantity + 1).pack()))
    # A digital product is handed over in the chat once paid: there is nothing to choose.
    receive_row = [] if view.product.is_digital else _receive_buttons(lang, view, pickup_payment=pickup_payment)
    leave_row = [_button(t(lang, "groupbuy.btn.leave"), GroupBuyCB(a="l", g=view.id).pack())]
    return Screen(_clip(text, TEXT_LIMIT), _markup([qty_row, receive_row, leave_row]))


def _pay_later(lang: str, view: GroupBuyView) -> str:
    """Nothing is charged now; the price the order would get: the one reached, or below the minimum the one the
    minimum gives (never a tier price as "now" before anyone reached it)."""
    price = _money(order_price(view), view.currency)
    if view.joined < view.min_participants:
        return t(lang, "groupbuy.pay_later_minimum", price=price, min=view.min_participants)
    return t(lang, "groupbuy.pay_later", price=price)


def order_price(view: GroupBuyView) -> int:
    """The unit price a participant's order would get if the buy succeeded as it stands: the price reached, or
    below the minimum the price the minimum gives."""
    return view.price_at_minimum if view.joined < view.min_participants else view.current_price


def delivery_fee_line(lang: str, view: GroupBuyView, quantity: int, delivery: DeliveryRule) -> str:
    """What delivery to the door adds to this participant's order at the price it would get now, worded as a
    flash-sale winner's and a checkout's fee: the fee with the free-delivery threshold, or that it is free.
    `delivery`: the rule for this participant (DeliveryRule.for_member: their tier may give free delivery)."""
    fee = delivery.fee_for("delivery", order_price(view) * quantity)
    if fee:
        return fee_note(lang, fee, view.currency, delivery.free_from, pickup=False)
    return t(lang, "checkout.delivery_free")


def receive_saved(lang: str, view: GroupBuyView, part: ParticipantView, delivery: DeliveryRule) -> str:
    """The toast of a receive choice: saved, and for delivery to the door what it adds (plain text)."""
    saved = t(lang, "groupbuy.receive_toast")
    if receive_of(view, part) != "delivery":  # pickup, or a digital product (nothing to receive)
        return saved
    return f"{saved} {delivery_fee_line(lang, view, part.quantity, delivery.for_member(part.member_free_over))}"


def contact_prompt(lang: str, view: GroupBuyView, quantity: int, delivery: DeliveryRule) -> Screen:
    """Delivery chosen without saved details: ask for them in the panel's place, with what delivery adds (`delivery`:
    the rule for this participant, DeliveryRule.for_member) and the way back to the panel (its buttons) without
    typing anything."""
    text = "\n".join([t(lang, "groupbuy.ask_contact"), delivery_fee_line(lang, view, quantity, delivery)])
    back = _button(t(lang, "groupbuy.btn.back"), GroupBuyCB(a="s", g=view.id).pack())
    return Screen(text, _markup([[back]]))


def contact_kept(lang: str, screen: Screen) -> Screen:
    """/cancel at the details prompt: the panel again, below a line saying nothing changed."""
    return Screen(_clip("\n".join([t(lang, "groupbuy.contact_kept"), "", screen.text]), TEXT_LIMIT), screen.markup)


def _charges(lang: str, currency: str, goods: int, total: int, delivery_fee: int) -> list[str]:
    """Below a group-buy order's goods: its delivery fee and total, as its detail in /orders words them (nothing
    when the total is the goods)."""
    lines = order_views.charge_lines(lang, currency, delivery_fee=delivery_fee)
    if lines or total != goods:
        lines.append(order_views.total_line(lang, total, currency))
    return lines


def _panel_outcome(lang: str, view: GroupBuyView, part: ParticipantView, receive: str) -> list[str]:
    if view.status == "succeeded" and part.order_id is not None:
        goods = view.current_price * part.quantity
        total = part.order_total or 0
        order = t(
            lang,
            "groupbuy.panel_ended.ordered",
            order_id=part.order_id,
            qty=part.quantity,
            price=_money(view.current_price, view.currency),
            amount=_money(goods, view.currency),
        )
        charges = _charges(lang, view.currency, goods, total, part.order_delivery_fee)
        lines = [order, *charges, t(lang, "groupbuy.panel_ended.see_orders"), receive]
        if part.order_pickup_code and part.order_status in order_views.PICKUP_CODE_SHOWN:
            # What the counter asks for: the notice had it, but the panel is where a participant looks again.
            lines.append(t(lang, "orders.pickup_code", code=html.escape(part.order_pickup_code)))
        return lines
    return [t(lang, "groupbuy.panel_ended.released", qty=part.quantity)]  # failed or cancelled


TOAST_LIMIT = 200  # answerCallbackQuery's text
FILLED_TAILS = frozenset({"sent", "open", "here"})


def filled_toast(lang: str, view: GroupBuyView, part: ParticipantView | None, where: str) -> str:
    """The join that filled the buy, which closed at once: the order it made for this joiner (amount, how they
    receive it and pay), then where it is: `sent` to their private chat, waiting there until they `open` it, or
    `here` (joined from the private chat, whose panel shows it). A buy still open is closing by its deadline event
    (too big to close within the tap): the order follows. A buy that ended without an order for them (cancelled
    meanwhile) is said to have ended."""
    if where not in FILLED_TAILS:
        raise ValueError(where)
    if view.is_open:
        return t_plain(lang, f"groupbuy.join.filling.{where}")
    if part is None or part.order_id is None:
        return t_plain(lang, "groupbuy.join.closed")
    pays_later = part.order_status == orders.CONFIRMED  # pay on pickup: the order is confirmed, nothing to pay now
    text = t_plain(
        lang,
        "groupbuy.join.filled",
        order_id=part.order_id,
        amount=_money(part.order_total or 0, view.currency),
        receive=t_plain(lang, f"groupbuy.receive_short.{receive_of(view, part)}"),
        pay=t_plain(lang, "groupbuy.pay_method.pickup" if pays_later else "groupbuy.pay_method.card"),
    )
    if where == "open" and part.order_status == orders.PENDING_PAYMENT:
        where = "open_pay"
    if where != "here":
        text = f"{text} {t_plain(lang, f'groupbuy.join.filled_tail.{where}')}"
    return _clip(text, TOAST_LIMIT)


def _receive_buttons(lang: str, view: GroupBuyView, *, pickup_payment: bool) -> list[InlineKeyboardButton]:
    row = []
    if view.pickup_point:
        row.append(_button(t(lang, "groupbuy.btn.pickup"), GroupBuyCB(a="d", g=view.id, v=0).pack()))
        if pickup_payment:
            row.append(_button(t(lang, "groupbuy.btn.pickup_pay"), GroupBuyCB(a="d", g=view.id, v=1).pack()))
    row.append(_button(t(lang, "groupbuy.btn.delivery"), GroupBuyCB(a="d", g=view.id, v=2).pack()))
    return row


# ---------------------------------------------------------------------------------------------- wizard


def product_picker(
    lang: str,
    products: Sequence[ProductView],
    query: str | None = None,
    *,
    categories: Sequence[CategoryView] = (),
    category: CategoryView | None = None,
) -> Screen:
    """The products as buttons; under the first list the shop's categories (a tap lists one), and a category's
    list has a way back."""
    rows = [
        [
            _button(
                _clip(f"{p.title(lang)} · {p.money.format()} · {t(lang, 'groupbuy.stock_short', n=p.stock)}", 60),
                WizardCB(a="prod", v=str(p.id)).pack(),
            )
        ]
        for p in products
    ]
    shelves = [_button(_clip(f"🗂 {c.name(lang)}", 30), WizardCB(a="cat", v=str(c.id)).pack()) for c in categories]
    rows.extend(shelves[i : i + 2] for i in range(0, len(shelves), 2))
    if category is not None:
        rows.append([_button(t(lang, "groupbuy.btn.back"), WizardCB(a="cats").pack())])
    rows.append([_button(t(lang, "groupbuy.btn.stop"), WizardCB(a="stop").pack())])
    if query is not None:
        return Screen(t(lang, "groupbuy.wizard.product_matches", query=query), _markup(rows))
    if category is not None:
        text = t(lang, "groupbuy.wizard.product_in_category", category=html.escape(category.name(lang)))
        return Screen(text, _markup(rows))
    return Screen(t(lang, "groupbuy.wizard.product"), _markup(rows))


def people_lines(lang: str, counts: Counts) -> tuple[str, str]:
    """ "at least 3, at most 20" or "at least 3, no maximum" (never "at most no maximum"), and the limit."""
    if counts.maximum is None:
        people = t(lang, "groupbuy.wizard.people_no_max", min=counts.minimum)
    else:
        people = t(lang, "groupbuy.wizard.people_max", min=counts.minimum, max=counts.maximum)
    return people, t(lang, "groupbuy.wizard.per_person", limit=counts.limit)


def _stepper(field: str, label: str, down: int | None, up: int | None) -> list[InlineKeyboardButton]:
    """➖ label ➕; a side with nothing to step to is a dot that says so (never a dead button)."""
    hint = WizardCB(a="nop", v="n").pack()
    stop = WizardCB(a="nop", v="b").pack()

    def side(symbol: str, value: int | None) -> InlineKeyboardButton:
        if value is None:
            return _button("·", stop)
        return _button(symbol, WizardCB(a="cn", v=f"{field}.{value}").pack())

    return [side("➖", down), _button(label, hint), side("➕", up)]


def counts_prompt(lang: str, product: ProductView, counts: Counts, tiers: Sequence[Tier] = ()) -> Screen:
    """Minimum, maximum and per-person limit on one screen of steppers, edited in place, and one Continue.
    Each button carries the value it sets, so a double tap lands on the same screen. The steppers offer only
    values that fit the tiers and the stock; counts that cannot fit (the prices need more than the stock) are
    said on the screen, with the way back to the prices."""
    people, per_person = people_lines(lang, counts)
    example = f"{counts.minimum} {counts.maximum if counts.maximum is not None else '-'} {counts.limit}"
    text = t(
        lang,
        "groupbuy.wizard.counts",
        title=html.escape(product.title(lang)),
        stock=product.stock,
        people=people,
        per_person=per_person,
        example=example,
    )
    problem = counts_problem(tiers, counts, product.stock)
    if problem is not None:
        text += "\n\n" + t(
            lang, "groupbuy.wizard.counts_problem", reason=t(lang, f"errors.{problem.code}", **problem.params)
        )
    steps = steppers(tiers, counts, product.stock)
    if counts.maximum is None:
        max_label = t(lang, "groupbuy.btn.count_no_max")
    else:
        max_label = t(lang, "groupbuy.btn.count_max", n=counts.maximum)
    rows = [
        _stepper("m", t(lang, "groupbuy.btn.count_min", n=counts.minimum), *steps["m"]),
        _stepper("x", max_label, *steps["x"]),
        _stepper("l", t(lang, "groupbuy.btn.count_limit", n=counts.limit), *steps["l"]),
        [_button(t(lang, "groupbuy.btn.continue"), WizardCB(a="cok").pack())],
        # Prices whose best tier the stock cannot reach leave no counts that fit: the way back to change them.
        [_button(t(lang, "groupbuy.btn.prices_back"), WizardCB(a="cpb").pack())],
        [_button(t(lang, "groupbuy.btn.stop"), WizardCB(a="stop").pack())],
    ]
    return Screen(_clip(text, TEXT_LIMIT), _markup(rows))


def _typed_amount(amount: int, currency: str) -> str:
    """An amount as a leader would type it (`15.21`): what the wizard's examples show."""
    places = exponent(currency)
    whole, frac = divmod(amount, 10**places)
    return f"{whole}.{frac:0{places}d}" if places else str(whole)


def _tier_example(tiers: Sequence[Tier], currency: str) -> str:
    return ", ".join(f"{tier.min_participants}: {_typed_amount(tier.unit_price, currency)}" for tier in tiers)


@dataclass(frozen=True)
class TierPicker:
    """Where the tier presets and the adjust-by-buttons editor lead: the set-up wizard, or the price edit of a
    published buy. `data(action, value)` packs a button's callback data (the same actions and values in
    both); `leave` is the way out; `use_key` labels the button that takes the tiers shown."""

    data: Callable[[str, str], str]
    leave: Callable[[str], InlineKeyboardButton]
    use_key: str = "groupbuy.btn.use_tiers"
    typed: bool = True  # the presets' question also invites typed tiers (the wizard reads them)


def _wizard_data(action: str, value: str) -> str:
    return WizardCB(a=action, v=value).pack()


def _wizard_leave(lang: str) -> InlineKeyboardButton:
    return _button(t(lang, "groupbuy.btn.stop"), WizardCB(a="stop").pack())


WIZARD_PICKER = TierPicker(data=_wizard_data, leave=_wizard_leave)


def price_edit_picker(group_buy_id: int) -> TierPicker:
    """The wizard's picker on a published buy: buttons only, Back returns to the leader's screen of the buy."""

    def data(action: str, value: str) -> str:
        return PriceEditCB(a=action, g=group_buy_id, v=value).pack()

    def leave(lang: str) -> InlineKeyboardButton:
        return _button(t(lang, "groupbuy.btn.back"), LeaderCB(a="view", g=group_buy_id).pack())

    return TierPicker(data=data, leave=leave, use_key="groupbuy.btn.preview_tiers", typed=False)


def tiers_prompt(
    lang: str, product: ProductView, presets: Sequence[Sequence[Tier]], picker: TierPicker = WIZARD_PICKER
) -> Screen:
    """The price question, with examples worked out from the product's own price and presets as buttons. A preset
    with a tier more people than the stock can serve (one unit each) is not offered: the next step would only
    refuse it (outside tester: "3+ · 10+" offered for 5 in stock, then flagged as not fitting)."""
    offered = [
        (index, preset)
        for index, preset in enumerate(presets)
        if all(tier.min_participants <= product.stock for tier in preset)
    ]
    first = offered[0][1] if offered else presets[0] if presets else ()
    example = _typed_amount(first[-1].unit_price, product.currency) if first else ""
    if picker.typed:
        text = t(
            lang,
            "groupbuy.wizard.tiers",
            title=product.title(lang),
            price=product.money.format(),
            stock=product.stock,
            example=example,
            example_tiers=_tier_example(first, product.currency),
        )
    else:
        text = t(lang, "groupbuy.edit_prices.presets", title=product.title(lang), price=product.money.format())
    rows = [
        [
            _button(
                _clip(
                    " · ".join(
                        f"{tier.min_participants}+ {_money(tier.unit_price, product.currency)}" for tier in preset
                    ),
                    60,
                ),
                picker.data("tp", str(index)),
            )
        ]
        for index, preset in offered
    ]
    if offered:
        rows.append([_button(t(lang, "groupbuy.btn.adjust_tiers"), picker.data("ted", str(offered[0][0])))])
    rows.append([picker.leave(lang)])
    return Screen(text, _markup(rows))


def _steps_value(index: int, value: int) -> str:
    return f"{index}.{value}"


def tier_editor(
    lang: str,
    product: ProductView,
    steps: Sequence[tuple[int, int]],
    tiers: Sequence[Tier],
    picker: TierPicker = WIZARD_PICKER,
) -> Screen:
    """Tiers adjusted by taps: people −/+ 1 and discount −/+ 5% per tier, edited in place. Every button sets a
    value (not a step), so a double tap lands on the same screen. What the fewest people for a discount pay is
    stated, beside what anyone pays below it."""
    first = tiers[0]
    text = "\n".join(
        [
            t(lang, "groupbuy.wizard.editor", title=html.escape(product.title(lang)), regular=product.money.format()),
            tier_lines(lang, tiers, 1, product.price, product.currency),  # no minimum chosen yet: as set
            t(
                lang,
                "groupbuy.wizard.at_minimum",
                min=first.min_participants,
                price=_money(first.unit_price, product.currency),
                note="",
            ),
            t(lang, "groupbuy.wizard.editor_below", n=first.min_participants, regular=product.money.format()),
            t(lang, "groupbuy.wizard.editor_hint", step=PERCENT_STEP),
        ]
    )
    rows: list[list[InlineKeyboardButton]] = []
    for index, ((people, percent), tier) in enumerate(zip(steps, tiers, strict=True)):
        rows.append(
            [
                _button("➖👥", picker.data("tn", _steps_value(index, people - 1))),
                _button(t(lang, "groupbuy.btn.tier_people", n=people), picker.data("nop", "")),
                _button("➕👥", picker.data("tn", _steps_value(index, people + 1))),
            ]
        )
        price = _money(tier.unit_price, product.currency)
        rows.append(
            [
                _button(f"➖{PERCENT_STEP}%", picker.data("td", _steps_value(index, percent - PERCENT_STEP))),
                _button(t(lang, "groupbuy.btn.tier_discount", off=percent, price=price), picker.data("nop", "")),
                _button(f"➕{PERCENT_STEP}%", picker.data("td", _steps_value(index, percent + PERCENT_STEP))),
            ]
        )
    count = str(len(steps))
    edit_row = []
    if len(steps) < MAX_TIERS:
        edit_row.append(_button(t(lang, "groupbuy.btn.add_tier"), picker.data("ta", count)))
    if len(steps) > 1:
        edit_row.append(_button(t(lang, "groupbuy.btn.remove_tier"), picker.data("tr", count)))
    rows.append(edit_row)
    rows.append([_button(t(lang, picker.use_key), picker.data("tok", ""))])
    rows.append([_button(t(lang, "groupbuy.btn.presets"), picker.data("tps", ""))])
    rows.append([picker.leave(lang)])
    return Screen(_clip(text, TEXT_LIMIT), _markup(rows))


def wizard_back(lang: str, step: str) -> InlineKeyboardButton:
    """«Back» on a wizard step's question. It names the step it is on, so a tap from a screen the wizard has
    since left is recognised as stale instead of moving the set-up from wherever it is now."""
    return _button(t(lang, "groupbuy.btn.back"), WizardCB(a="bk", v=step).pack())


def deadline_prompt(
    lang: str, days: int, choices: Sequence[tuple[str, DeadlineChoice]], now: datetime, timezone: str
) -> Screen:
    example = next((choice.at for _, choice in choices if choice.at is not None), now)
    text = t(
        lang,
        "groupbuy.wizard.deadline",
        example=example.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M"),
        zone=zone_label(now, timezone),
        days=days,
    )
    rows = []
    for key, choice in choices:
        at = zoned(choice.at, timezone, "%H:%M") if choice.at is not None else ""
        rows.append([_button(t(lang, f"groupbuy.wizard.preset_{key}", at=at), WizardCB(a="dl", v=key).pack())])
    rows.append([_button(t(lang, "groupbuy.btn.calendar"), WizardCB(a="cal").pack())])
    rows.append([wizard_back(lang, "deadline")])
    rows.append([_button(t(lang, "groupbuy.btn.stop"), WizardCB(a="stop").pack())])
    return Screen(text, _markup(rows))


def _month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _shift_month(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def deadline_calendar(lang: str, month: date, first: date, last: date, zone: str, days: int) -> Screen:
    """A month of the shop's calendar: days from `first` to `last` may end the buy. Days outside carry a button
    too, so a tap on one says why it cannot be chosen instead of doing nothing."""
    text = t(lang, "groupbuy.wizard.calendar", zone=zone, days=days, first=first.isoformat(), last=last.isoformat())
    names = t(lang, "groupbuy.cal.months").split("|")
    title = t(lang, "groupbuy.cal.title", month=names[month.month - 1], year=month.year)
    nop = WizardCB(a="nop", v="c").pack()
    earlier = _shift_month(month, -1)
    later = _shift_month(month, 1)
    head = [
        _button("◀️", WizardCB(a="cal", v=_month_key(earlier)).pack())
        if _month_key(earlier) >= _month_key(first)
        else _button("·", nop),
        _button(title, nop),
        _button("▶️", WizardCB(a="cal", v=_month_key(later)).pack())
        if _month_key(later) <= _month_key(last)
        else _button("·", nop),
    ]
    rows = [head, [_button(name, nop) for name in t(lang, "groupbuy.cal.weekdays").split("|")]]
    for week in calendar.Calendar(firstweekday=0).monthdayscalendar(month.year, month.month):
        row = []
        for number in week:
            if number == 0:
                row.append(_button("·", nop))
                continue
            day = month.replace(day=number)
            # Struck through (a combining stroke per digit): shown, so the grid reads as a month, but not offered.
            label = str(number) if first <= day <= last else _struck(str(number))
            row.append(_button(label, WizardCB(a="day", v=day.isoformat()).pack()))
        rows.append(row)
    rows.append([_button(t(lang, "groupbuy.btn.back"), WizardCB(a="dlb").pack())])
    rows.append([_button(t(lang, "groupbuy.btn.stop"), WizardCB(a="stop").pack())])
    return Screen(text, _markup(rows))


def _struck(text: str) -> str:
    """Shown but not offered (a day or hour gone or too far): a combining stroke after each digit."""
    return "".join(f"{char}\u0336" if char.isdigit() else char for char in text)


def deadline_hours(lang: str, day: date, zone: str, open_hours: Collection[int]) -> Screen:
    """The hour on `day` (shop time) the buy ends. Hours outside `open_hours` (gone today, or past the maximum)
    are struck through like the calendar's days; a tap on one still says why it cannot be chosen."""
    text = t(lang, "groupbuy.wizard.hour", day=day.isoformat(), zone=zone)
    rows = [
        [
            _button(
                f"{hour:02d}:00" if hour in open_hours else _struck(f"{hour:02d}:00"),
                WizardCB(a="hr", v=f"{day.isoformat()}.{hour}").pack(),
            )
            for hour in range(start, start + 6)
        ]
        for start in range(0, 24, 6)
    ]
    rows.append([_button(t(lang, "groupbuy.btn.back"), WizardCB(a="cal", v=_month_key(day)).pack())])
    rows.append([_button(t(lang, "groupbuy.btn.stop"), WizardCB(a="stop").pack())])
    return Screen(text, _markup(rows))


def pickup_prompt(lang: str, points: Sequence[PickupPoint]) -> Screen:
    rows = [[_button(_clip(point.name.get(lang), 60), WizardCB(a="pick", v=point.id).pack())] for point in points]
    rows.append([_button(t(lang, "groupbuy.btn.no_pickup"), WizardCB(a="pick", v="-").pack())])
    rows.append([wizard_back(lang, "pickup")])
    rows.append([_button(t(lang, "groupbuy.btn.stop"), WizardCB(a="stop").pack())])
    return Screen(t(lang, "groupbuy.wizard.pickup"), _markup(rows))


def wizard_summary(
    lang: str,
    product: ProductView,
    tiers: Sequence[Tier],
    minimum: int,
    maximum: int | None,
    limit: int,
    deadline: DeadlineChoice,
    now: datetime,
    pickup: str | None,
    timezone: str,
    group_title: str,
    *,
    pickup_changeable: bool = False,
) -> Screen:
    """The preview before Publish. `pickup_changeable`: the pickup step was skipped (the shop's only point was
    chosen), so the preview offers the way to another answer (none, or a typed one)."""
    people, per_person = people_lines(lang, Counts(minimum, maximum, limit))
    text = t(
        lang,
        "groupbuy.wizard.summary",
        group=html.escape(group_title),
        title=html.escape(product.title(lang)),
        regular=product.money.format(),
        tiers=tier_lines(lang, tiers, minimum, product.price, product.currency),
        people=people,
        per_person=per_person,
        deadline=ends_text(lang, deadline, now, timezone),
        pickup=html.escape(pickup) if pickup else t(lang, "groupbuy.no_pickup"),
    )
    # The price people pay if only the minimum joins: below the first tier that is the regular price.
    at_minimum = price_for(tiers, product.price, minimum)
    note = t(lang, "groupbuy.wizard.full_price") if at_minimum == product.price else ""
    text += "\n" + t(
        lang, "groupbuy.wizard.at_minimum", min=minimum, price=_money(at_minimum, product.currency), note=note
    )
    rows = [[_button(t(lang, "groupbuy.btn.publish"), WizardCB(a="pub").pack())]]
    if pickup_changeable:
        rows.append([_button(t(lang, "groupbuy.btn.change_pickup"), WizardCB(a="chp").pack())])
    rows.append([wizard_back(lang, "confirm")])
    rows.append([_button(t(lang, "groupbuy.btn.stop"), WizardCB(a="stop").pack())])
    return Screen(_clip(text, TEXT_LIMIT), _markup(rows))


def summary_buttons_hint(lang: str, *, pickup_changeable: bool = False) -> str:
    """Something sent at the preview, where nothing is typed: the preview's own buttons, named as they read."""
    change = ""
    if pickup_changeable:
        change = t(lang, "groupbuy.wizard.buttons_please_change", change=t_plain(lang, "groupbuy.btn.change_pickup"))
    return t(
        lang,
        "groupbuy.wizard.buttons_please",
        publish=t_plain(lang, "groupbuy.btn.publish"),
        change=change,
        stop=t_plain(lang, "groupbuy.btn.stop"),
    )


def ends_text(lang: str, deadline: DeadlineChoice, now: datetime, timezone: str) -> str:
    """A duration is shown as such (it starts at Publish), with the moment it would end if published now."""
    at = local_time(deadline.resolve(now), timezone)
    if deadline.duration is None:
        return at
    days, hours, minutes = format_remaining(now + deadline.duration, now)
    if days:
        return t(lang, "groupbuy.wizard.after.days", d=days, h=hours, at=at)
    if hours:
        return t(lang, "groupbuy.wizard.after.hours", h=hours, m=minutes, at=at)
    return t(lang, "groupbuy.wizard.after.minutes", m=minutes, at=at)


def _wizard_link_hint(lang: str, bot_username: str, key: str) -> Screen:
    url = start_link(bot_username, WIZARD_LINK_PREFIX, "go")  # opens the private chat on the wizard's question
    return Screen(
        t(lang, key),
        InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=t(lang, "groupbuy.btn.open_bot"), url=url)]]),
    )


def start_bot_hint(lang: str, bot_username: str) -> Screen:
    """Said in the group when the bot cannot write to the leader privately (never started it, or blocked it)."""
    return _wizard_link_hint(lang, bot_username, "groupbuy.start_bot")


def wizard_opened_hint(lang: str, bot_username: str) -> Screen:
    """The reply in the group to a leader's /groupbuy: the set-up went on in the private chat, and the way there."""
    return _wizard_link_hint(lang, bot_username, "groupbuy.wizard_opened")


def not_a_leader_hint(lang: str, user_id: int) -> str:
    """/groupbuy from someone who is not a leader: how to become one (an admin grants it by user ID)."""
    return t(lang, "groupbuy.hint.not_leader", id=user_id)


def running_here_hint(lang: str, view: GroupBuyView, *, replying: bool) -> str:
    """/groupbuy from a non-leader where a buy runs: they most likely want to join it. `replying`: the hint is
    a reply to the buy's card."""
    key = "groupbuy.hint.running_reply" if replying else "groupbuy.hint.running_above"
    return t(lang, key, title=html.escape(view.title(lang)), join=t(lang, "groupbuy.btn.join"))


def with_running(lang: str, screen: Screen, running: Sequence[GroupBuyView]) -> Screen:
    """The wizard's first question for a leader whose group already has buys running: which, and where they
    are managed, above it."""
    if not running:
        return screen
    lines = [
        t(lang, "groupbuy.hint.leader_running", id=v.id, title=html.escape(v.title(lang)), count=joined_count(lang, v))
        for v in running
    ]
    lines.append(t(lang, "groupbuy.hint.leader_manage"))
    return Screen(_clip("\n".join([*lines, "", screen.text]), TEXT_LIMIT), screen.markup)


# ---------------------------------------------------------------------------------------------- leader desk


def _line(lang: str, line: LeaderLine) -> str:
    view = line.group_buy
    return t(
        lang,
        "groupbuy.leader.line",
        id=view.id,
        title=html.escape(view.title(lang)),
        status=t(lang, f"groupbuy.state.{view.status}"),
        joined=line.participants,
        units=line.units,
        paid=_money(line.paid_total, view.currency),
        commission=_money(line.commission, view.currency),
    )


def leader_home(lang: str, overview: LeaderOverview, currency: str) -> Screen:
    parts = [t(lang, "groupbuy.leader.title")]
    parts.append(t(lang, "groupbuy.leader.open"))
    parts.extend(_line(lang, line) for line in overview.open)
    if not overview.open:
        parts.append(t(lang, "groupbuy.leader.none"))
    parts.append(t(lang, "groupbuy.leader.past"))
    parts.extend(_line(lang, line) for line in overview.past)
    if not overview.past:
        parts.append(t(lang, "groupbuy.leader.none"))
    parts.append(
        t(lang, "groupbuy.leader.commission", amount=_money(overview.commission_total, overview.currency or currency))
    )
    rows = [
        [
            _button(
                _clip(f"#{line.group_buy.id} {line.group_buy.title(lang)}", 60),
                LeaderCB(a="view", g=line.group_buy.id).pack(),
            )
        ]
        for line in (*overview.open, *overview.past)
    ]
    return Screen(_clip("\n".join(parts), TEXT_LIMIT), _markup(rows))


def order_state(lang: str, status: str, receive: str) -> str:
    """A pickup participant's order that reached "delivered" was collected, as the shopper's screens say."""
    if receive == "pickup" and status == "delivered":
        status = "collected"
    return t(lang, f"groupbuy.order_state.{status}")


def csv_key(view: GroupBuyView, key: str) -> str:
    """The participants' list of a buy without a pickup point is a delivery list, not a pickup list."""
    return key if view.pickup_point else key + "_delivery"


def leader_detail(
    lang: str,
    line: LeaderLine,
    people: Sequence[ParticipantView],
    now: datetime,
    pickup: str | None,
    timezone: str,
    *,
    notice: str | None = None,
    pickup_payment: bool = True,
) -> Screen:
    """The leader's screen of one buy; `notice` (already-rendered text, e.g. why a step was refused) first.
    Before the orders exist each participant's line says how they chose to pay (at pickup or by card)."""
    view = line.group_buy
    parts = [t(lang, "groupbuy.leader.notice", text=notice)] if notice else []
    parts += [
        _line(lang, line),
        tier_lines(lang, view.tiers, view.min_participants, view.base_price, view.currency, view.joined),
        progress(lang, view, now),
    ]
    if not view.is_open:
        parts.append(_status_line(lang, view))  # how it ended, not "open" until some job runs
    parts.append(when_line(lang, view, timezone))
    if pickup:
        parts.append(t(lang, "groupbuy.pickup_line", point=html.escape(pickup)))
    elif not view.product.is_digital:
        parts.append(t(lang, "groupbuy.delivery_only_line"))
    parts.append(t(lang, "groupbuy.leader.people"))
    for person in people:
        receive = receive_of(view, person)
        if person.order_status:
            status = order_state(lang, person.order_status, receive)
        elif receive == "digital":
            status = ""  # paid as the shop's digital goods are, nothing to choose
        else:
            at_pickup = receive == "pickup" and person.pay_on_pickup and pickup_payment and bool(view.pickup_point)
            status = t(lang, "groupbuy.pay_method.pickup" if at_pickup else "groupbuy.pay_method.card")
        amount = _money(person.order_total, view.currency) if person.order_total is not None else ""
        parts.append(
            t(
                lang,
                "groupbuy.leader.person",
                name=html.escape(person.name) if person.name.strip() else t(lang, "groupbuy.leader.erased_name"),
                qty=person.quantity,
                receive=t(lang, f"groupbuy.receive_short.{receive}"),
                status=status,
                amount=amount,
            ).rstrip(" ·")
        )
    if not people:
        parts.append(t(lang, "groupbuy.leader.none"))
    rows: list[list[InlineKeyboardButton]] = []
    # Past its deadline (or just closed early) the buy is closing: nothing is left to manage.
    if view.is_open and view.deadline > now:
        rows.append(
            [
                _button(t(lang, "groupbuy.btn.extend", h=24), LeaderCB(a="ext", g=view.id, v=24).pack()),
                _button(t(lang, "groupbuy.btn.extend", h=72), LeaderCB(a="ext", g=view.id, v=72).pack()),
            ]
        )
        # Only maxima the stock and the people who joined allow: never a button that is then refused.
        choices = maximum_choices(view, line.units)
        max_row = [
            _button(t(lang, "groupbuy.btn.max_to", n=value), LeaderCB(a="max", g=view.id, v=value).pack())
            for value in choices.values
        ]
        if choices.no_maximum:
            max_row.append(_button(t(lang, "groupbuy.btn.no_max"), LeaderCB(a="max", g=view.id, v=0).pack()))
        if max_row:
            rows.append(max_row)
        if view.joined == 0 and line.participants == 0:
            # Until the first join: whoever joins does so at the prices shown, which then stay.
            rows.append([_button(t(lang, "groupbuy.btn.edit_prices"), PriceEditCB(a="open", g=view.id).pack())])
        if view.joined >= view.min_participants:
            rows.append([_button(t(lang, "groupbuy.btn.close_now"), LeaderCB(a="close", g=view.id).pack())])
        rows.append([_button(t(lang, "groupbuy.btn.cancel_buy"), LeaderCB(a="cancel", g=view.id).pack())])
    rows.append([_button(t(lang, csv_key(view, "groupbuy.btn.csv")), LeaderCB(a="csv", g=view.id).pack())])
    rows.append([_button(t(lang, "groupbuy.btn.back"), LeaderCB(a="home").pack())])
    return Screen(_clip("\n".join(parts), TEXT_LIMIT), _markup(rows))


def price_preview(lang: str, view: GroupBuyView, tiers: Sequence[Tier]) -> Screen:
    """The new prices as the card will show them, beside the prices now; Save changes them."""
    currency, regular = view.currency, view.base_price
    text = "\n".join(
        [
            t(
                lang,
                "groupbuy.edit_prices.preview",
                title=html.escape(view.title(lang)),
                regular=_money(regular, currency),
            ),
            tier_lines(lang, tiers, view.min_participants, regular, currency),
            t(lang, "groupbuy.edit_prices.now"),
            tier_lines(lang, view.tiers, view.min_participants, regular, currency),
        ]
    )
    rows = [
        [_button(t(lang, "groupbuy.btn.save_tiers"), PriceEditCB(a="save", g=view.id).pack())],
        [_button(t(lang, "groupbuy.btn.change_tiers"), PriceEditCB(a="tps", g=view.id).pack())],
        [_button(t(lang, "groupbuy.btn.back"), LeaderCB(a="view", g=view.id).pack())],
    ]
    return Screen(_clip(text, TEXT_LIMIT), _markup(rows))


def admin_section(lang: str, leaders: Sequence[Buyer], buys: Sequence[GroupBuyView]) -> str:
    """The admin menu's leaders section: who leads (by name, as the admin knows them), and the open buys."""
    lines = [t(lang, "groupbuy.admin.leaders", names=", ".join(buyer_label(lang, leader) for leader in leaders) or "—")]
    lines.append(t(lang, "groupbuy.admin.open", n=len(buys)))
    lines.extend(
        t(lang, "groupbuy.admin.line", id=b.id, title=b.title(lang), joined=joined_count(lang, b)) for b in buys
    )
    lines.append(t(lang, "groupbuy.admin.howto"))
    return _clip("\n".join(lines), TEXT_LIMIT)


def confirm_cancel(lang: str, view: GroupBuyView) -> Screen:
    rows = [
        [_button(t(lang, "groupbuy.btn.cancel_yes"), LeaderCB(a="cancel_yes", g=view.id).pack())],
        [_button(t(lang, "groupbuy.btn.back"), LeaderCB(a="view", g=view.id).pack())],
    ]
    return Screen(
        t(lang, "groupbuy.leader.cancel_ask", title=html.escape(view.title(lang)), n=view.joined), _markup(rows)
    )


def confirm_close(lang: str, view: GroupBuyView) -> Screen:
    """Closing early makes the orders at the price reached and cannot be undone: asked first."""
    rows = [
        # The price shown travels with Yes: a close at another price (someone joined or left) is asked again.
        [_button(t(lang, "groupbuy.btn.close_yes"), LeaderCB(a="close_yes", g=view.id, v=view.current_price).pack())],
        [_button(t(lang, "groupbuy.btn.back"), LeaderCB(a="view", g=view.id).pack())],
    ]
    text = t(
        lang,
        "groupbuy.leader.close_ask",
        title=html.escape(view.title(lang)),
        n=view.joined,
        price=_money(view.current_price, view.currency),
    )
    return Screen(text, _markup(rows))


# ---------------------------------------------------------------------------------------------- notices (outbox)


def _title(lang: str, params: dict[str, Any]) -> str:
    return html.escape(str(params.get("title_zh") if lang == "zh" else params.get("title_en")))


def render_success(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    currency = str(params["currency"])
    pickup = pickup_label(app.settings.shop.pickup_points, params.get("pickup_point"), lang)
    unit_price, total = int(params["unit_price"]), int(params["total"])
    goods = unit_price * int(params["quantity"])
    # A group-buy order has no discounts: what its total holds beyond the goods is its delivery fee.
    fee = int(params.get("delivery_fee", total - goods))
    text = t(
        lang,
        "groupbuy.notice.success",
        title=_title(lang, params),
        qty=params["quantity"],
        price=_money(unit_price, currency),
        regular=_money(int(params["base_price"]), currency),
        amount=_money(goods, currency),
        order_id=params["order_id"],
    )
    text = "\n".join([text, *_charges(lang, currency, goods, total, fee)])
    if params.get("pay_on_pickup"):
        # As an ordinary pay-on-pickup order's confirmation: where, what to pay there, the code, the order.
        amount = _money(total, currency)
        text += "\n" + t(lang, "groupbuy.notice.pay_on_pickup", point=html.escape(pickup or ""), amount=amount)
        if params.get("pickup_code"):  # notices queued before the code was passed have none
            text += "\n" + t(lang, "orders.pickup_code", code=html.escape(str(params["pickup_code"])))
        return Outgoing(text=text, reply_markup=checkout_views.order_button(lang, int(params["order_id"])))
    expires = params.get("expires_at")
    if expires:
        until = datetime.fromisoformat(str(expires))
        left = math.ceil((until - utcnow()).total_seconds() / 60)
        shown = zoned(until, app.settings.shop.timezone, "%m-%d %H:%M")
        if left <= 0:  # read after the window closed (the bot was opened late): nothing left to pay
            return Outgoing(text=text + "\n" + t(lang, "groupbuy.notice.pay_missed", until=shown))
        text += "\n" + t(lang, "groupbuy.notice.pay_until", minutes=left, until=shown)
    else:  # queued before the notice carried its deadline
        text += "\n" + t(lang, "groupbuy.notice.pay_within", minutes=params["window_minutes"])
    pay = GroupBuyCB(a="p", g=int(params["group_buy_id"]), v=int(params["order_id"])).pack()
    button = _button(t(lang, "groupbuy.btn.pay", total=_money(int(params["total"]), currency)), pay)
    return Outgoing(text=text, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]))


def render_closed(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    key = "groupbuy.notice.cancelled" if params.get("reason") == "cancelled" else "groupbuy.notice.failed"
    return Outgoing(text=t(lang, key, title=_title(lang, params), joined=params["joined"], minimum=params["minimum"]))


def render_changed(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    """A participant is told what the leader changed in a buy they joined."""
    title = _title(lang, params)
    if params.get("change") == "deadline":
        at = local_time(datetime.fromisoformat(str(params["deadline"])), app.settings.shop.timezone)
        return Outgoing(text=t(lang, "groupbuy.notice.changed_deadline", title=title, at=at))
    maximum = params.get("maximum")
    if maximum is None:
        return Outgoing(text=t(lang, "groupbuy.notice.changed_no_max", title=title))
    return Outgoing(text=t(lang, "groupbuy.notice.changed_max", title=title, max=int(maximum)))


def render_leader_result(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    """The leader is told how their buy ended: who joined, the units, and the commission it may bring."""
    title = _title(lang, params)
    joined, units = int(params["joined"]), int(params["units"])
    if params.get("status") != "succeeded":
        minimum = int(params["minimum"])
        key = "groupbuy.notice.leader_failed"
        return Outgoing(text=t(lang, key, title=title, joined=joined, units=units, minimum=minimum))
    currency = str(params["currency"])
    price = int(params["unit_price"])
    text = t(
        lang,
        "groupbuy.notice.leader_succeeded",
        title=title,
        joined=joined,
        units=units,
        price=_money(price, currency),
        total=_money(price * units, currency),
    )
    commission = int(params.get("commission") or 0)
    if commission:
        percent = f"{int(params.get('commission_bp') or 0) / 100:g}"
        text += "\n" + t(
            lang, "groupbuy.notice.leader_commission", commission=_money(commission, currency), percent=percent
        )
    return Outgoing(text=text)
