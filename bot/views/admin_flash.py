"""Screens of the admin's flash sales by taps: the set-up's steps (a question with buttons; typing stays possible
for the product name, the price and the number of units), the audience picker, the summary, and the list of
scheduled and live sales with each sale's screen. Editing a scheduled sale shows the same step screens with
"Back" (to the edit menu) in place of "Stop set-up"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.admin_flash import FlashWizardCB
from bot.i18n import Html, t, t_plain
from bot.views.clock import typed_example, zone_label, zoned
from store import flashsale
from store.catalog import ProductView
from store.flashsale import SaleView
from store.growth.policy import TierRule
from store.models import utcnow
from store.money import STARS, Money

PRICE_PERCENTS = (10, 20, 30, 50)
STOCK_CHOICES = (5, 10, 20, 50)
LIMIT_CHOICES = (1, 2, 3)
START_CHOICES = ("now", "10m", "1h", "20h")
DURATION_MINUTES = (30, 60, 120, 1440)
GROUPS_PER_PAGE = 6
# The steps an admin may change on a scheduled sale (callback values of the edit menu's buttons).
EDITABLE = ("price", "stock", "limit", "start", "duration", "audience")


@dataclass(frozen=True)
class Screen:
    text: str
    markup: InlineKeyboardMarkup | None


@dataclass(frozen=True)
class GroupChoice:
    """A group the bot is in, as the audience picker shows it."""

    id: int
    title: str


@dataclass(frozen=True)
class Audience:
    """Who hears about a sale: `groups` None is every group the bot is in; `names` are the picked groups the bot
    still knows (a group it has left since keeps its place in `groups` but has no name to show)."""

    groups: tuple[int, ...] | None
    names: tuple[str, ...]
    subscribers: bool


@dataclass(frozen=True)
class Details:
    """What the summary and the edit menu show of the sale being set up or changed."""

    title: str
    price: Money
    regular: Money
    stock: int
    limit: int
    starts_at: datetime
    ends_at: datetime
    starts_now: bool
    audience: Audience


def _button(text: str, action: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=FlashWizardCB(a=action, v=value).pack())


def _screen(text: str, rows: list[list[InlineKeyboardButton]], lang: str, editing: bool = False) -> Screen:
    if editing:
        rows.append([_button(t_plain(lang, "admin_flash.btn.back"), "emenu")])
    else:
        rows.append([_button(t_plain(lang, "admin_flash.btn.stop"), "stop")])
    return Screen(text, InlineKeyboardMarkup(inline_keyboard=rows))


def sale_price(price: int, percent: int) -> int:
    return price - (price * percent + 50) // 100


def in_stars(product: ProductView) -> bool:
    """A digital product sells for Telegram Stars only: its flash sale is set and shown in Stars."""
    return product.is_digital and bool(product.stars_price)


def regular_price(product: ProductView) -> Money:
    """What a buyer pays outside a sale: the Star price of a digital product, else the price."""
    return Money(product.stars_price or 0, STARS) if in_stars(product) else product.money


def shown_price(product: ProductView, price: int) -> Money:
    """A sale price (in the product's currency) as a buyer pays it: in Stars for a digital product."""
    stars = product.stars_price if in_stars(product) else None
    return flashsale.shown_prices(product.price, product.currency, price, stars)[0]


def product_step(lang: str, products: Sequence[ProductView], query: str | None = None) -> Screen:
    rows = [
        [_button(f"{p.title(lang)[:40]} · {regular_price(p).format()} · {p.stock}", "prod", str(p.id))]
        for p in products
    ]
    text = t(lang, "admin_flash.product_matches", query=query) if query else t(lang, "admin_flash.product")
    return _screen(text, rows, lang)


def price_step(lang: str, product: ProductView, editing: bool = False) -> Screen:
    """The discount presets, each with the price it gives: in Stars for a digital product (what its winners
    pay), whose typed price is then a number of Stars."""

    def choice(percent: int) -> InlineKeyboardButton:
        price = shown_price(product, sale_price(product.price, percent)).format()
        return _button(t_plain(lang, "admin_flash.btn.percent", percent=percent, price=price), "price", str(percent))

    regular = regular_price(product)
    # A small Star price may not come down by a small discount (Stars are whole): offer only real discounts.
    percents = [p for p in PRICE_PERCENTS if shown_price(product, sale_price(product.price, p)) < regular]
    rows = [[choice(p) for p in percents[i : i + 2]] for i in range(0, len(percents), 2)]
    key = "admin_flash.price_stars" if in_stars(product) else "admin_flash.price"
    text = t(lang, key, title=product.title(lang), price=regular.format(), stock=product.stock)
    return _screen(text, rows, lang, editing)


def stock_step(lang: str, available: int, editing: bool = False) -> Screen:
    """`available`: the product's stock, plus the units the sale already holds when it is being edited."""
    choices = [n for n in STOCK_CHOICES if n <= available] or [available]
    rows = [[_button(str(n), "stock", str(n)) for n in choices]]
    return _screen(t(lang, "admin_flash.stock", available=available), rows, lang, editing)


def limit_step(lang: str, editing: bool = False) -> Screen:
    rows = [[_button(str(n), "lim", str(n)) for n in LIMIT_CHOICES]]
    return _screen(t(lang, "admin_flash.limit"), rows, lang, editing)


# The start step's typed example, in the prompt and in the refusal of a time it cannot read: the same words.
START_EXAMPLE_FORMAT = "%m-%d %H:%M"


def start_example(now: datetime, timezone: str) -> str:
    """Tomorrow 20:00 in shop time, as the start step shows it (`12-07 20:00`)."""
    return typed_example(now, timezone, START_EXAMPLE_FORMAT)


def start_step(lang: str, timezone: str, evening: datetime, editing: bool = False) -> Screen:
    """`evening`: the moment the "At 20:00" preset stands for; its button and the prompt name the shop's zone
    (an admin elsewhere would read a bare "20:00" as their own clock)."""
    at = zoned(evening, timezone, "%H:%M")
    # Past 20:00 the preset means tomorrow's 20:00: its label says so instead of reading as tonight.
    zone = ZoneInfo(timezone)
    tomorrow = evening.astimezone(zone).date() != utcnow().astimezone(zone).date()
    label_keys = {key: f"{key}_tomorrow" if key == "20h" and tomorrow else key for key in START_CHOICES}
    rows = [
        [
            _button(t_plain(lang, f"admin_flash.btn.start_{label_keys[key]}", at=at), "start", key)
            for key in START_CHOICES
        ]
    ]
    text = t(lang, "admin_flash.start", zone=zone_label(evening, timezone), example=start_example(utcnow(), timezone))
    return _screen(text, rows, lang, editing)


def duration_step(lang: str, editing: bool = False) -> Screen:
    rows = [[_button(t_plain(lang, f"admin_flash.btn.dur_{m}"), "dur", str(m)) for m in DURATION_MINUTES]]
    return _screen(t(lang, "admin_flash.duration"), rows, lang, editing)


def page_count(groups: int) -> int:
    return max(1, -(-groups // GROUPS_PER_PAGE))


def audience_step(
    lang: str, groups: Sequence[GroupChoice], audience: Audience, page: int, editing: bool = False
) -> Screen:
    """All groups (the default) or picked ones, toggled on and off; then whether subscribers are told. Each
    button carries the state it sets (`+id` / `-id`, `1` / `0`), so a repeated tap changes nothing more."""
    picking = audience.groups is not None
    mark = ("🔘 ", "⚪ ")
    rows = [
        [
            _button(mark[picking] + t_plain(lang, "admin_flash.btn.all_groups"), "aud", "all"),
            _button(mark[not picking] + t_plain(lang, "admin_flash.btn.pick_groups"), "aud", "pick"),
        ]
    ]
    if picking:
        chosen = set(audience.groups or ())
        pages = page_count(len(groups))
        page = min(max(page, 0), pages - 1)
        for group in groups[page * GROUPS_PER_PAGE : (page + 1) * GROUPS_PER_PAGE]:
            on = group.id in chosen
            label = ("☑️ " if on else "⬜ ") + group.title[:40]
            rows.append([_button(label, "grp", f"{'-' if on else '+'}{group.id}")])
        if pages > 1:
            nav = []
            if page > 0:
                nav.append(_button("◀️", "gpg", str(page - 1)))
            nav.append(_button(f"{page + 1}/{pages}", "gpg", str(page)))
            if page < pages - 1:
                nav.append(_button("▶️", "gpg", str(page + 1)))
            rows.append(nav)
    subs_key = "admin_flash.btn.subs_on" if audience.subscribers else "admin_flash.btn.subs_off"
    rows.append([_button(t_plain(lang, subs_key), "subs", "0" if audience.subscribers else "1")])
    rows.append([_button(t_plain(lang, "admin_flash.btn.audience_done"), "aud", "ok")])
    key = "admin_flash.audience_pick" if picking else "admin_flash.audience"
    text = t(lang, key, audience=Html(audience_line(lang, audience)))
    if picking and not groups:
        text = f"{text}\n{t(lang, 'admin_flash.no_groups_known')}"
    return _screen(text, rows, lang, editing)


def audience_line(lang: str, audience: Audience) -> str:
    if audience.groups is None:
        where = t(lang, "admin_flash.aud.all_groups")
    elif not audience.groups:
        where = t(lang, "admin_flash.aud.no_groups")
    else:
        names = ", ".join(audience.names[:5]) + ("…" if len(audience.names) > 5 else "")
        where = t(lang, "admin_flash.aud.some_groups", count=len(audience.groups), names=names)
    subs = t(lang, "admin_flash.aud.subs_on" if audience.subscribers else "admin_flash.aud.subs_off")
    return t(lang, "admin_flash.aud.line", groups=Html(where), subscribers=Html(subs))


def early_line(lang: str, tiers: Sequence[TierRule], subscribers: bool) -> str | None:
    """Which tiers hear first and how much earlier; None when the shop's tiers grant no head start. Only
    subscribers are told early (the group cards wait for the public start), so without them nobody is."""
    early = sorted((r for r in tiers if r.early_access_minutes > 0), key=lambda r: -r.early_access_minutes)
    if not early:
        return None
    items = ", ".join(
        t_plain(lang, "admin_flash.early_item", tier=r.name(lang), minutes=r.early_access_minutes) for r in early
    )
    return t(lang, "admin_flash.early" if subscribers else "admin_flash.early_unused", tiers=items)


def details_text(lang: str, details: Details, timezone: str, early: str | None) -> str:
    text = t(
        lang,
        "admin_flash.details",
        title=details.title,
        price=details.price.format(),
        regular=details.regular.format(),
        stock=details.stock,
        limit=details.limit,
        starts=t(lang, "admin_flash.starts_now") if details.starts_now else zoned(details.starts_at, timezone),
        ends=zoned(details.ends_at, timezone),
        audience=Html(audience_line(lang, details.audience)),
    )
    # A sale starting now has no "before": its early access would have to date back.
    if early and not details.starts_now:
        text = f"{text}\n{early}"
    return text


def summary(lang: str, details: Details, timezone: str, early: str | None, token: str) -> Screen:
    """`token`: the set-up run's creation token; "Create" carries it so a repeated tap finds the sale it made."""
    text = f"{t(lang, 'admin_flash.summary')}\n{details_text(lang, details, timezone, early)}"
    rows = [[_button(t_plain(lang, "admin_flash.btn.make"), "make", token)]]
    return _screen(text, rows, lang)


def edit_menu(lang: str, sale_id: int, details: Details, timezone: str, early: str | None) -> Screen:
    """The scheduled sale with the changes made so far; each button opens that step's screen."""
    text = f"{t(lang, 'admin_flash.edit.title', sale_id=sale_id)}\n{details_text(lang, details, timezone, early)}"
    labels = [_button(t_plain(lang, f"admin_flash.edit.{step}"), "ed", step) for step in EDITABLE]
    rows = [labels[0:3], labels[3:6]]
    rows.append([_button(t_plain(lang, "admin_flash.btn.save"), "save")])
    rows.append([_button(t_plain(lang, "admin_flash.btn.back"), "sale", str(sale_id))])
    return Screen(text, InlineKeyboardMarkup(inline_keyboard=rows))


# ---------------------------------------------------------------------------------------------- the list


def status_label(lang: str, sale: SaleView, now: datetime) -> str:
    """A live sale before its public start is open only to the tiers with early access: it says so, rather than
    "live" beside a start time still to come."""
    if sale.status == flashsale.LIVE and now < sale.starts_at:
        return t_plain(lang, "flashsale.status.early")
    return t_plain(lang, f"flashsale.status.{sale.status}")


def _when(sale: SaleView, timezone: str) -> str:
    return zoned(sale.starts_at, timezone, "%m-%d %H:%M")


def sales_list(lang: str, sales: Sequence[SaleView], timezone: str) -> Screen:
    """Scheduled and live sales, one button each (newest first)."""
    now = utcnow()
    rows = [
        [
            InlineKeyboardButton(
                text=t_plain(
                    lang,
                    "admin_flash.list.item",
                    sale_id=sale.id,
                    status=status_label(lang, sale, now),
                    title=sale.title(lang)[:30],
                    price=sale.shown_prices[0].format(),
                    starts=_when(sale, timezone),
                ),
                callback_data=FlashWizardCB(a="sale", v=str(sale.id)).pack(),
            )
        ]
        for sale in sales
    ]
    rows.append([_button(t_plain(lang, "admin_flash.section"), "new")])
    rows.append(
        [
            InlineKeyboardButton(
                text=t_plain(lang, "admin_flash.btn.back"), callback_data=AdminMenuCB(section="home").pack()
            )
        ]
    )
    key = "admin_flash.list.title" if sales else "admin_flash.list.empty"
    # Power users type the commands; the help says which zone their typed times are in.
    now = utcnow()
    example = typed_example(now, timezone, "%Y-%m-%dT%H:%M")
    typed = t(lang, "flashsale.admin.help", zone=zone_label(now, timezone), example=example)
    return Screen(f"{t(lang, key)}\n\n{typed}", InlineKeyboardMarkup(inline_keyboard=rows))


def sale_screen(lang: str, sale: SaleView, timezone: str, audience: Audience, early: str | None) -> Screen:
    text = t(
        lang,
        "admin_flash.sale",
        sale_id=sale.id,
        status=status_label(lang, sale, utcnow()),
        title=sale.title(lang),
        price=sale.shown_prices[0].format(),
        regular=sale.shown_prices[1].format(),
        stock=sale.stock,
        sold=sale.sold,
        paid=sale.paid,
        limit=sale.per_user_limit,
        starts=zoned(sale.starts_at, timezone),
        ends=zoned(sale.ends_at, timezone),
        audience=Html(audience_line(lang, audience)),
    )
    if early and (sale.status == flashsale.SCHEDULED or utcnow() < sale.starts_at):
        text = f"{text}\n{early}"
    actions = []
    if sale.status == flashsale.SCHEDULED:
        actions.append(_button(t_plain(lang, "admin_flash.btn.edit"), "edit", str(sale.id)))
    if sale.status in (flashsale.SCHEDULED, flashsale.LIVE):
        actions.append(_button(t_plain(lang, "admin_flash.btn.cancel"), "cx", str(sale.id)))
    rows = [actions] if actions else []
    rows.append([_button(t_plain(lang, "admin_flash.btn.back"), "list")])
    return Screen(text, InlineKeyboardMarkup(inline_keyboard=rows))


def cancel_confirm(lang: str, sale: SaleView) -> Screen:
    key = "admin_flash.cancel_live" if sale.status == flashsale.LIVE else "admin_flash.cancel_scheduled"
    rows = [
        [
            _button(t_plain(lang, "admin_flash.btn.cancel_yes"), "cxy", str(sale.id)),
            _button(t_plain(lang, "admin_flash.btn.cancel_no"), "sale", str(sale.id)),
        ]
    ]
    return Screen(t(lang, key, sale_id=sale.id, title=sale.title(lang)), InlineKeyboardMarkup(inline_keyboard=rows))


def notice(lang: str, key: str, sale_id: int, **params: object) -> Screen:
    """A result (cancelled, saved, cannot edit) with the way back to the list."""
    rows = [[_button(t_plain(lang, "admin_flash.btn.to_list"), "list")]]
    return Screen(t(lang, key, sale_id=sale_id, **params), InlineKeyboardMarkup(inline_keyboard=rows))
