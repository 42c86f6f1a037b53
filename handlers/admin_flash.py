"""An admin runs flash sales in chat by taps.

Create (/flash_new, or "New flash sale" in /admin): the product found by name, the price from discount buttons,
units, per-person limit, start (including "now"), duration and audience (all groups or picked ones, and whether
subscribers get a private notice), then a summary to confirm. /flash_create stays for those who prefer one typed
line.

List (/flash_list, or "Flash sales" in /admin): scheduled and live sales as buttons; a sale's screen shows its
details with Edit (only before its start) and Cancel (after a confirmation). Edit opens a menu of the same step
screens the set-up uses; each step comes back to the menu, and Save hands the changes to `flashsale.edit_sale`,
which refuses a sale that started meanwhile.

Each step edits the one live message when a button is tapped; a typed answer gets the next question below it
and the question above loses its buttons. Every tap and every typed answer re-checks the admin role."""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.access import require_role
from bot.admin_menu import AdminSection
from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.admin_flash import FlashWizardCB
from bot.context import AppContext
from bot.i18n import t, t_plain
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from bot.views import admin_flash as views
from bot.views.clock import zone_label
from bot.views.flashsale import sale_text
from dialogues.flash_wizard import FlashWizard
from store import catalog, flashsale, groupbuy, users
from store.catalog import ProductView
from store.errors import Conflict, DomainError, NotFound
from store.flashsale.parsing import parse_time
from store.flashsale.typed_price import regular_stars, typed_price
from store.groupbuy.parsing import parse_duration
from store.models import utcnow
from store.rules import policy

routes = Routes("admin_flash")
PRIVATE = F.chat.type == "private"
ANSWER = F.text & ~F.text.startswith("/")

# A start the admin typed is kept as this prefix + the moment (ISO), beside the preset keys.
TYPED_START = "at:"
_IN = re.compile(r"^(in\s+|\+\s*)|(后|以后|之后)$", re.IGNORECASE)

# How far the clock may move between the summary and "Create"/"Save" and the times shown still hold.
PIN_SLACK = timedelta(minutes=1)
# The set-up run's creation token (conversation data and the "Create" button's value).
TOKEN = "token"

ADMIN_SECTION = AdminSection("flashnew", "admin_flash.section", "admin", order=41)
# The "Flash sales" section is declared by handlers/flashsale.py (its key and label); its screen is this list.
LIST_SECTION = "flash"


# ---------------------------------------------------------------------------------------------- shared pieces


def _editing(data: dict[str, Any]) -> bool:
    return "edit" in data


async def _product(ctx: AppContext, data: dict[str, Any]) -> ProductView:
    if _editing(data):
        # The sale holds its units already: the product may have none left on its own and still be right.
        product = await catalog.get_product(ctx.db, int(data["product_id"]))
        if product is None:
            raise NotFound("gb_product_not_found")
        return product
    return await groupbuy.product_for_wizard(ctx.db, product_id=int(data["product_id"]))


def _available(product: ProductView, data: dict[str, Any]) -> int:
    """Units the sale may have: the product's stock, plus what an edited sale already took from it."""
    return min(product.stock + int(data.get("held", 0)), flashsale.MAX_STOCK)


def _start_at(key: str, now: datetime, timezone: str) -> datetime:
    if key.startswith(TYPED_START):
        return datetime.fromisoformat(key.removeprefix(TYPED_START))
    if key == "now":
        return now
    if key == "10m":
        return now + timedelta(minutes=10)
    if key == "1h":
        return now + timedelta(hours=1)
    if key == "20h":
        local = now.astimezone(ZoneInfo(timezone))
        at = local.replace(hour=20, minute=0, second=0, microsecond=0)
        return (at if at > local else at + timedelta(days=1)).astimezone(now.tzinfo)
    raise DomainError("bad_button")


def _whole_minute(moment: datetime) -> datetime:
    """Rounded up to the minute: a time counted from the clock is shown (HH:MM) exactly as it is kept."""
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


def _fresh_times(ctx: AppContext, data: dict[str, Any]) -> tuple[datetime, datetime]:
    """Counted from the clock now. One rule for every time the wizard counts from the clock: rounded up to the
    whole minute (a start "now" stays now, its end is rounded). An edited sale whose start was not touched keeps
    its own start (`starts_at`) and ends its duration later."""
    key = data.get("start")
    duration = timedelta(minutes=int(data["minutes"]))
    if not key:
        starts_at = datetime.fromisoformat(str(data["starts_at"]))
        return starts_at, starts_at + duration
    starts_at = _start_at(str(key), utcnow(), ctx.settings.shop.timezone)
    if key == "now":
        return starts_at, _whole_minute(starts_at + duration)
    starts_at = _whole_minute(starts_at)
    return starts_at, starts_at + duration


def _times(ctx: AppContext, data: dict[str, Any]) -> tuple[tuple[datetime, datetime], bool]:
    """The times the summary (or edit menu) showed, pinned in `shown`, and whether the clock has moved on too far
    from them to keep them. "Now" is still when the admin confirms, not when the summary appeared; its end is the
    one shown while the confirmation comes within PIN_SLACK (a minute turning over between the preview and the tap
    must not turn "Ends 21:59" into "22:00")."""
    fresh = _fresh_times(ctx, data)
    shown = data.get("shown")
    if not shown:
        return fresh, False
    pinned = (datetime.fromisoformat(shown[0]), datetime.fromisoformat(shown[1]))
    if any(abs(f - p) > PIN_SLACK for f, p in zip(fresh, pinned, strict=True)):
        return fresh, True
    starts_at = fresh[0] if data.get("start") == "now" else pinned[0]
    return (starts_at, pinned[1]), False


async def _pin_times(ctx: AppContext, state: FSMContext) -> None:
    starts_at, ends_at = _fresh_times(ctx, await state.get_data())
    await state.update_data(shown=[starts_at.isoformat(), ends_at.isoformat()])


async def _known_groups(ctx: AppContext) -> list[views.GroupChoice]:
    """Groups the bot is in, by name; the support forum is the agents' room, never a shop window."""
    support = ctx.settings.support.chat_id
    chats = await users.active_groups(ctx.db)
    choices = [views.GroupChoice(int(c.id), c.title or str(c.id)) for c in chats if support is None or c.id != support]
    return sorted(choices, key=lambda g: (g.title.lower(), g.id))


def _audience(known: list[views.GroupChoice], groups: Any, subscribers: bool) -> views.Audience:
    if groups is None:
        return views.Audience(None, (), subscribers)
    names = {g.id: g.title for g in known}
    picked = tuple(int(g) for g in groups)
    return views.Audience(picked, tuple(names[g] for g in picked if g in names), subscribers)


def _early(ctx: AppContext, lang: str, subscribers: bool) -> str | None:
    return views.early_line(lang, policy(ctx.db).tiers, subscribers)


async def _details(ctx: AppContext, lang: str, data: dict[str, Any]) -> views.Details:
    product = await _product(ctx, data)
    (starts_at, ends_at), _ = _times(ctx, data)
    return views.Details(
        title=product.title(lang),
        price=views.shown_price(product, int(data["price"])),
        regular=views.regular_price(product),
        stock=int(data["stock"]),
        limit=int(data["limit"]),
        starts_at=starts_at,
        ends_at=ends_at,
        starts_now=data.get("start") == "now",
        audience=_audience(await _known_groups(ctx), data.get("groups"), bool(data.get("subs", True))),
    )


async def _screen(ctx: AppContext, lang: str, step: str, data: dict[str, Any]) -> views.Screen:
    editing = _editing(data)
    if step == "product":
        return views.product_step(lang, await groupbuy.candidate_products(ctx.db))
    if step == "limit":
        return views.limit_step(lang, editing)
    if step == "start":
        timezone = ctx.settings.shop.timezone
        return views.start_step(lang, timezone, _start_at("20h", utcnow(), timezone), editing)
    if step == "duration":
        return views.duration_step(lang, editing)
    if step == "audience":
        known = await _known_groups(ctx)
        audience = _audience(known, data.get("groups"), bool(data.get("subs", True)))
        return views.audience_step(lang, known, audience, int(data.get("gpage", 0)), editing)
    if step in ("price", "stock"):
        product = await _product(ctx, data)
        if step == "price":
            return views.price_step(lang, product, editing)
        return views.stock_step(lang, _available(product, data), editing)
    details = await _details(ctx, lang, data)
    early = _early(ctx, lang, details.audience.subscribers)
    if step == "edit":
        return views.edit_menu(lang, int(data["edit"]), details, ctx.settings.shop.timezone, early)
    return views.summary(lang, details, ctx.settings.shop.timezone, early, str(data.get(TOKEN) or ""))


async def _live(bot: Bot, chat_id: int, state: FSMContext, message_id: int) -> None:
    """`message_id` is the one live question now; the previous one loses its buttons."""
    old = (await state.get_data()).get("prompt_id")
    await state.update_data(prompt_id=message_id)
    if old and old != message_id:
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(chat_id=chat_id, message_id=int(old), reply_markup=None)


async def _ask(target: Message | CallbackQuery, ctx: AppContext, lang: str, state: FSMContext, step: str) -> None:
    await state.set_state(getattr(FlashWizard, step))
    if step == "confirm" and not (await state.get_data()).get(TOKEN):
        await state.update_data({TOKEN: _new_token()})  # a set-up begun before tokens existed
    if step in ("confirm", "edit"):
        await _pin_times(ctx, state)  # what this screen shows is what Create/Save will use
    data = await state.get_data()
    screen = await _screen(ctx, lang, step, data)
    if isinstance(target, CallbackQuery):
        await target.answer()
        message = target.message
        if isinstance(message, Message) and message.message_id == data.get("prompt_id"):
            await edit_or_answer(target, screen.text, screen.markup)
            return
        sent = await ctx.bot.send_message(target.from_user.id, screen.text, reply_markup=screen.markup)
        await _live(ctx.bot, target.from_user.id, state, sent.message_id)
        return
    sent = await target.answer(screen.text, reply_markup=screen.markup)
    await _live(ctx.bot, target.chat.id, state, sent.message_id)


def _after(data: dict[str, Any], following: str) -> str:
    """A step answered while editing a sale goes back to its edit menu, not on to the next question."""
    return "edit" if _editing(data) else following


def _new_token() -> str:
    return secrets.token_hex(8)


async def _begin(target: Message | CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await state.set_state(FlashWizard.product)
    message = target.message if isinstance(target, CallbackQuery) else None
    # One token per set-up run: its "Create" makes at most one sale (the store keeps the token unique).
    data: dict[str, Any] = {TOKEN: _new_token()}
    if isinstance(message, Message):
        data["prompt_id"] = message.message_id
    await state.set_data(data)
    await _ask(target, ctx, lang, state, "product")


async def _leave_edit(state: FSMContext) -> None:
    """Going back to the list or a sale's screen drops an edit in progress (nothing was saved)."""
    if _editing(await state.get_data()):
        await state.clear()


# ---------------------------------------------------------------------------------------------- create


@routes.message(Command("flash_new"), PRIVATE)
async def flash_new(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    if message.from_user is None:
        return
    await require_role(ctx, message.from_user.id, "admin")
    await state.set_data({})
    await _begin(message, ctx, lang, state)


@routes.callback_query(AdminMenuCB.filter(F.section == "flashnew"))
async def from_menu(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    await _begin(query, ctx, lang, state)


@routes.callback_query(FlashWizardCB.filter(F.a == "new"))
async def from_list(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    await _begin(query, ctx, lang, state)


@routes.message(FlashWizard.product, PRIVATE, ANSWER)
async def product_typed(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    if message.from_user is None:
        return
    await require_role(ctx, message.from_user.id, "admin")
    found = await groupbuy.find_products_for_wizard(ctx.db, message.text or "")
    if not found:
        raise DomainError("gb_product_not_found")
    if len(found) == 1:
        await state.update_data(product_id=found[0].id)
        await _ask(message, ctx, lang, state, "price")
        return
    screen = views.product_step(lang, found, query=(message.text or "").strip()[:64])
    sent = await message.answer(screen.text, reply_markup=screen.markup)
    await _live(ctx.bot, message.chat.id, state, sent.message_id)


async def _read_price(ctx: AppContext, data: dict[str, Any], text: str) -> dict[str, Any]:
    return {"price": typed_price(text, await _product(ctx, data))}


def _check_price(product: ProductView, price: int) -> None:
    """The store's price rule, asked at the step so a refused price is re-asked there and not only at Create."""
    flashsale.check_price(price, product.currency, product.price, product.currency, regular_stars(product))


async def _read_stock(ctx: AppContext, data: dict[str, Any], text: str) -> dict[str, Any]:
    available = _available(await _product(ctx, data), data)
    if not text.isdigit() or not 1 <= int(text) <= available:
        raise DomainError("flash_bad_stock", max=available)
    return {"stock": int(text)}


async def _read_limit(ctx: AppContext, data: dict[str, Any], text: str) -> dict[str, Any]:
    most = max(1, int(data.get("stock") or 1))
    if not text.isdigit() or not 1 <= int(text) <= most:
        raise DomainError("flash_bad_limit", max=most)
    return {"limit": int(text)}


# A sale is announced and scheduled for the weeks ahead; a start beyond this is a slip of the keyboard.
START_AHEAD = timedelta(days=90)


def typed_start(text: str, now: datetime, timezone: str) -> datetime:
    """`now`, `in 5 min`, `+10m`, `5分钟后`, `20:00`, `12-06 20:00`, `2026-12-06 20:00` (shop time)."""
    relative = parse_duration(_IN.sub("", text.strip()))
    try:
        at = now + relative if relative is not None else parse_time(text, now, timezone)
    except DomainError as exc:
        if exc.code != "flash_bad_time":
            raise
        # The refusal repeats the prompt's examples in the prompt's words (not /flash_create's ISO time).
        example = views.start_example(now, timezone)
        zone = zone_label(now, timezone)
        raise DomainError("flash_wizard_bad_time", value=text[:40], example=example, zone=zone) from exc
    if at < now - timedelta(minutes=1):
        raise DomainError("flash_start_past")
    if at > now + START_AHEAD:
        raise DomainError("flash_start_too_far", days=START_AHEAD.days)
    return max(at, now)


async def _read_start(ctx: AppContext, data: dict[str, Any], text: str) -> dict[str, Any]:
    if text.lower() in ("now", "现在", "立即", "马上"):
        return {"start": "now"}
    return {"start": TYPED_START + typed_start(text, utcnow(), ctx.settings.shop.timezone).isoformat()}


async def _read_duration(ctx: AppContext, data: dict[str, Any], text: str) -> dict[str, Any]:
    duration = parse_duration(text)
    if duration is None or not timedelta(minutes=5) <= duration <= timedelta(days=7):
        raise DomainError("flash_bad_duration")
    return {"minutes": int(duration.total_seconds() // 60)}


TypedReader = Callable[[AppContext, dict[str, Any], str], Awaitable[dict[str, Any]]]
# Each step that takes a typed answer: how to read it, and the question that follows.
_TYPED: dict[str | None, tuple[TypedReader, str]] = {
    FlashWizard.price.state: (_read_price, "stock"),
    FlashWizard.stock.state: (_read_stock, "limit"),
    FlashWizard.limit.state: (_read_limit, "start"),
    FlashWizard.start.state: (_read_start, "duration"),
    FlashWizard.duration.state: (_read_duration, "audience"),
}


@routes.message(
    StateFilter(FlashWizard.price, FlashWizard.stock, FlashWizard.limit, FlashWizard.start, FlashWizard.duration),
    PRIVATE,
    ANSWER,
)
async def step_typed(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    """A typed answer to the live question (power users type; the buttons stay for everyone else); a refused
    one raises the DomainError that says why, in the admin's language."""
    if message.from_user is None:
        return
    await require_role(ctx, message.from_user.id, "admin")
    data = await state.get_data()
    reader, following = _TYPED[await state.get_state()]
    await state.update_data(await reader(ctx, data, (message.text or "").strip()))
    await _ask(message, ctx, lang, state, _after(data, following))


@routes.callback_query(FlashWizardCB.filter(F.a == "stop"))
async def stop(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    if str(await state.get_state()).startswith("FlashWizard"):
        await state.clear()
    await query.answer()
    await edit_or_answer(query, t(lang, "admin_flash.stopped"))


_STEP_OF_ACTION = {
    "prod": (FlashWizard.product, "price"),
    "price": (FlashWizard.price, "stock"),
    "stock": (FlashWizard.stock, "limit"),
    "lim": (FlashWizard.limit, "start"),
    "start": (FlashWizard.start, "duration"),
    "dur": (FlashWizard.duration, "audience"),
}


async def _times_moved(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext, step: str) -> None:
    """The screen sat long enough for its times to be out of date: show them again, counted now, and let the admin
    confirm what they see (nothing is created or saved with times they did not see)."""
    await query.answer(t_plain(lang, "admin_flash.times_moved"), show_alert=True)
    await _pin_times(ctx, state)
    screen = await _screen(ctx, lang, step, await state.get_data())
    await edit_or_answer(query, screen.text, screen.markup)


async def _already_created(query: CallbackQuery, lang: str, sale_id: int) -> None:
    await query.answer(t_plain(lang, "admin_flash.already_created", sale_id=sale_id))


@routes.callback_query(FlashWizardCB.filter(F.a == "make"))
async def make(
    query: CallbackQuery, callback_data: FlashWizardCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    """Idempotent per set-up run: the button carries the run's token and the store refuses a second sale with it,
    so a double tap (both taps reading the same conversation, in one process or two) creates one sale, and the
    tap that loses hears which sale was made."""
    await require_role(ctx, query.from_user.id, "admin")
    data = await state.get_data()
    token = callback_data.v or str(data.get(TOKEN) or "")
    if await state.get_state() != FlashWizard.confirm.state or (callback_data.v and data.get(TOKEN) != token):
        existing = await flashsale.sale_by_key(ctx.db, token) if token else None
        if existing is not None:
            await _already_created(query, lang, existing.id)
        else:
            await query.answer(t(lang, "errors.stale_button"), show_alert=True)
        return
    product = await _product(ctx, data)
    (starts_at, ends_at), moved = _times(ctx, data)
    if moved:
        await _times_moved(query, ctx, lang, state, "confirm")
        return
    groups = data.get("groups")
    spec = flashsale.SaleSpec(
        sku=product.sku,
        price=int(data["price"]),
        stock=int(data["stock"]),
        starts_at=starts_at,
        ends_at=ends_at,
        per_user_limit=int(data["limit"]),
        groups=tuple(int(g) for g in groups) if groups is not None else None,
        subscribers=bool(data.get("subs", True)),
    )
    try:
        sale = await flashsale.create_sale(ctx.db, spec, actor_id=query.from_user.id, key=token or None)
    except Conflict as exc:
        if exc.code != "flash_already_created":
            raise
        await _already_created(query, lang, int(exc.params["sale_id"]))
        return
    await state.clear()
    await query.answer()
    await edit_or_answer(query, sale_text(lang, "flashsale.admin.created", sale, ctx.settings.shop.timezone))


@routes.callback_query(FlashWizardCB.filter(F.a.in_(set(_STEP_OF_ACTION))))
async def step_tap(
    query: CallbackQuery, callback_data: FlashWizardCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    expected, following = _STEP_OF_ACTION[callback_data.a]
    if await state.get_state() != expected.state:
        await query.answer(t(lang, "errors.stale_button"), show_alert=True)
        return
    value = callback_data.v
    if not value.isdigit() and callback_data.a != "start":
        raise DomainError("bad_button")
    data = await state.get_data()
    if callback_data.a == "prod":
        product = await groupbuy.product_for_wizard(ctx.db, product_id=int(value))
        await state.update_data(product_id=product.id)
    elif callback_data.a == "price":
        if int(value) not in views.PRICE_PERCENTS:
            raise DomainError("bad_button")
        product = await _product(ctx, data)
        price = views.sale_price(product.price, int(value))
        _check_price(product, price)  # a discount of a price of a few cents can round to nothing
        await state.update_data(price=price)
    elif callback_data.a == "stock":
        available = _available(await _product(ctx, data), data)
        if not 1 <= int(value) <= available:
            raise DomainError("flash_bad_stock", max=available)
        await state.update_data(stock=int(value))
    elif callback_data.a == "lim":
        if int(value) not in views.LIMIT_CHOICES:
            raise DomainError("bad_button")
        await state.update_data(limit=int(value))
    elif callback_data.a == "start":
        if value not in views.START_CHOICES:
            raise DomainError("bad_button")
        await state.update_data(start=value)
    else:
        if int(value) not in views.DURATION_MINUTES:
            raise DomainError("bad_button")
        await state.update_data(minutes=int(value))
    await _ask(query, ctx, lang, state, _after(data, following))


@routes.callback_query(FlashWizardCB.filter(F.a.in_({"aud", "grp", "gpg", "subs"})))
async def audience_tap(
    query: CallbackQuery, callback_data: FlashWizardCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    """All groups or picked ones, a group on or off, a page of groups, subscribers told or not, and Next."""
    await require_role(ctx, query.from_user.id, "admin")
    if await state.get_state() != FlashWizard.audience.state:
        await query.answer(t(lang, "errors.stale_button"), show_alert=True)
        return
    data = await state.get_data()
    action, value = callback_data.a, callback_data.v
    groups = data.get("groups")
    if action == "aud" and value == "ok":
        if groups is not None and not groups:
            await query.answer(t_plain(lang, "admin_flash.pick_a_group"), show_alert=True)
            return
        await _ask(query, ctx, lang, state, _after(data, "confirm"))
        return
    if action == "aud" and value in ("all", "pick"):
        # "Pick groups" again keeps what was picked: a repeated tap must not undo the admin's choices.
        await state.update_data(groups=None if value == "all" else (groups if groups is not None else []))
    elif action == "grp" and groups is not None and value[:1] in ("+", "-") and value[1:].lstrip("-").isdigit():
        chat_id = int(value[1:])
        picked = [int(g) for g in groups if int(g) != chat_id]
        if value[0] == "+":
            if chat_id not in {g.id for g in await _known_groups(ctx)}:
                await query.answer(t(lang, "errors.stale_button"), show_alert=True)
                return
            picked.append(chat_id)
        await state.update_data(groups=picked)
    elif action == "gpg" and value.isdigit():
        await state.update_data(gpage=int(value))
    elif action == "subs" and value in ("0", "1"):
        await state.update_data(subs=value == "1")
    else:
        raise DomainError("bad_button")
    await _ask(query, ctx, lang, state, "audience")


# ---------------------------------------------------------------------------------------------- list, sale, cancel


async def _list_screen(ctx: AppContext, lang: str) -> views.Screen:
    sales = await flashsale.list_sales(ctx.db, statuses=(flashsale.SCHEDULED, flashsale.LIVE))
    return views.sales_list(lang, sales, ctx.settings.shop.timezone)


async def _sale_screen(ctx: AppContext, lang: str, sale: flashsale.SaleView) -> views.Screen:
    audience = _audience(await _known_groups(ctx), sale.groups, sale.subscribers)
    early = _early(ctx, lang, sale.subscribers)
    return views.sale_screen(lang, sale, ctx.settings.shop.timezone, audience, early)


def _sale_id(callback_data: FlashWizardCB) -> int:
    if not callback_data.v.isdigit():
        raise DomainError("bad_button")
    return int(callback_data.v)


def _not_editable(lang: str, sale: flashsale.SaleView) -> views.Screen:
    return views.notice(lang, "admin_flash.not_editable", sale.id, status=views.status_label(lang, sale, utcnow()))


@routes.message(Command("flash_list"))
async def list_command(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    if message.from_user is None:
        return
    await require_role(ctx, message.from_user.id, "admin")
    await _leave_edit(state)
    screen = await _list_screen(ctx, lang)
    await message.answer(screen.text, reply_markup=screen.markup)


@routes.callback_query(AdminMenuCB.filter(F.section == LIST_SECTION))
async def list_section(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    await _leave_edit(state)
    await query.answer()
    screen = await _list_screen(ctx, lang)
    await edit_or_answer(query, screen.text, screen.markup)


@routes.callback_query(FlashWizardCB.filter(F.a == "list"))
async def list_tap(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await list_section(query, ctx, lang, state)


@routes.callback_query(FlashWizardCB.filter(F.a == "sale"))
async def sale_tap(
    query: CallbackQuery, callback_data: FlashWizardCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    sale = await flashsale.get_sale(ctx.db, _sale_id(callback_data))
    await _leave_edit(state)
    await query.answer()
    screen = await _sale_screen(ctx, lang, sale)
    await edit_or_answer(query, screen.text, screen.markup)


@routes.callback_query(FlashWizardCB.filter(F.a == "cx"))
async def cancel_ask(query: CallbackQuery, callback_data: FlashWizardCB, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    sale = await flashsale.get_sale(ctx.db, _sale_id(callback_data))
    if sale.status not in (flashsale.SCHEDULED, flashsale.LIVE):
        raise Conflict("flash_not_cancellable", status=sale.status)
    await query.answer()
    screen = views.cancel_confirm(lang, sale)
    await edit_or_answer(query, screen.text, screen.markup)


@routes.callback_query(FlashWizardCB.filter(F.a == "cxy"))
async def cancel_yes(query: CallbackQuery, callback_data: FlashWizardCB, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    sale = await flashsale.cancel_sale(
        ctx.db, _sale_id(callback_data), admin_ids=ctx.settings.admins, actor_id=query.from_user.id
    )
    await query.answer()
    screen = views.notice(lang, "admin_flash.cancelled", sale.id)
    await edit_or_answer(query, screen.text, screen.markup)


# ---------------------------------------------------------------------------------------------- edit before start


@routes.callback_query(FlashWizardCB.filter(F.a == "edit"))
async def edit_open(
    query: CallbackQuery, callback_data: FlashWizardCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    """The sale's current values become the conversation's data; the steps change them there until Save."""
    await require_role(ctx, query.from_user.id, "admin")
    sale = await flashsale.get_sale(ctx.db, _sale_id(callback_data))
    if sale.status != flashsale.SCHEDULED:
        await query.answer()
        screen = _not_editable(lang, sale)
        await edit_or_answer(query, screen.text, screen.markup)
        return
    message = query.message
    minutes = int((sale.ends_at - sale.starts_at).total_seconds() // 60)
    await state.set_data(
        {
            "edit": sale.id,
            "product_id": sale.product_id,
            "price": sale.price,
            "stock": sale.stock,
            "held": sale.stock,
            "limit": sale.per_user_limit,
            "start": None,
            "starts_at": sale.starts_at.isoformat(),
            "minutes": minutes,
            "orig_minutes": minutes,
            "groups": list(sale.groups) if sale.groups is not None else None,
            "subs": sale.subscribers,
            "prompt_id": message.message_id if isinstance(message, Message) else None,
        }
    )
    await _ask(query, ctx, lang, state, "edit")


async def _still_editable(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> bool:
    """The sale may have started since the edit menu opened: then say so, in place, and drop the edit."""
    if not str(await state.get_state()).startswith("FlashWizard") or not _editing(await state.get_data()):
        await query.answer(t(lang, "errors.stale_button"), show_alert=True)
        return False
    sale = await flashsale.get_sale(ctx.db, int((await state.get_data())["edit"]))
    if sale.status == flashsale.SCHEDULED:
        return True
    await state.clear()
    await query.answer()
    screen = _not_editable(lang, sale)
    await edit_or_answer(query, screen.text, screen.markup)
    return False


@routes.callback_query(FlashWizardCB.filter(F.a == "ed"), FlashWizard.edit)
async def edit_step(
    query: CallbackQuery, callback_data: FlashWizardCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    if callback_data.v not in views.EDITABLE:
        raise DomainError("bad_button")
    if not await _still_editable(query, ctx, lang, state):
        return
    await _ask(query, ctx, lang, state, callback_data.v)


@routes.callback_query(FlashWizardCB.filter(F.a == "emenu"))
async def edit_menu(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    if not await _still_editable(query, ctx, lang, state):
        return
    await _ask(query, ctx, lang, state, "edit")


@routes.callback_query(FlashWizardCB.filter(F.a == "save"), FlashWizard.edit)
async def edit_save(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    data = await state.get_data()
    if not _editing(data):
        await query.answer(t(lang, "errors.stale_button"), show_alert=True)
        return
    sale_id = int(data["edit"])
    (starts_at, ends_at), moved = _times(ctx, data)
    if moved:
        await _times_moved(query, ctx, lang, state, "edit")
        return
    moved = bool(data.get("start")) or int(data["minutes"]) != int(data["orig_minutes"])
    groups = data.get("groups")
    change = flashsale.SaleEdit(
        price=int(data["price"]),
        stock=int(data["stock"]),
        per_user_limit=int(data["limit"]),
        starts_at=starts_at if data.get("start") else None,
        ends_at=ends_at if moved else None,
        groups=tuple(int(g) for g in groups) if groups is not None else None,
        all_groups=groups is None,
        subscribers=bool(data.get("subs", True)),
    )
    try:
        sale = await flashsale.edit_sale(ctx.db, sale_id, change, actor_id=query.from_user.id)
    except Conflict as exc:
        if exc.code != "flash_not_editable":
            raise
        await state.clear()
        await query.answer()
        screen = _not_editable(lang, await flashsale.get_sale(ctx.db, sale_id))
        await edit_or_answer(query, screen.text, screen.markup)
        return
    await state.clear()
    await query.answer(t_plain(lang, "admin_flash.saved", sale_id=sale.id))
    screen = await _sale_screen(ctx, lang, sale)
    await edit_or_answer(query, screen.text, screen.markup)


# ---------------------------------------------------------------------------------------------- leftovers


@routes.callback_query(FlashWizardCB.filter())
async def stale(query: CallbackQuery, lang: str) -> None:
    """A button of a finished, stopped or earlier set-up."""
    await query.answer(t(lang, "errors.stale_button"), show_alert=True)


@routes.message(StateFilter(FlashWizard), PRIVATE, ~F.text.startswith("/"))
async def needs_text(message: Message, lang: str) -> None:
    """Typed text where only buttons answer (the audience, the summary), or a photo/sticker anywhere."""
    key = "admin_flash.use_buttons" if message.text else "groupbuy.wizard.text_please"
    await message.answer(t(lang, key))


def setup() -> Router:
    return routes.build()
