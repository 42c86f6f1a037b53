"""/admin: the shared menu (sections registered in bot/admin_menu.py), order queues and actions, refunds,
stock adjustments and simple stats. Every tap re-checks the admin role: callback data is never trusted."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot import payments as bot_payments
from bot import tap_guard
from bot.access import has_role, require_role
from bot.admin_menu import AdminSection
from bot.callbacks.admin import AdminListCB, AdminMenuCB, AdminOrderCB, AdminRefundCB
from bot.context import AppContext
from bot.i18n import t, t_plain
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from bot.views import admin as views
from bot.views import stock_card as stock_card_views
from bot.views.checkout import pickup_point
from dialogues.checkout import AdminSG
from store import catalog, order_queues, orders, payments, stock_alerts, typed_numbers
from store.errors import Conflict, DomainError

routes = Routes("admin")

ADMIN_SECTIONS = (
    AdminSection("orders", "admin.section.orders", "admin", order=10),
    AdminSection("stock", "admin.section.stock", "admin", order=20),
    AdminSection("stats", "admin.section.stats", "admin", order=30),
)

STOCK_LIST_SIZE = 8  # products listed in the Stock section, least stock first (any other: /stock SKU)
SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
# "SKU change", read from typed_numbers.fold(text) (full-width signs and digits, "−3", "–3" already ASCII). A sign
# makes it a change whatever follows, so "+1.5" is refused with what is wrong; a bare number ("SKU 5") adds, as
# a bare number at the Restock prompt does, and when the SKU is nobody's it is read as words of a name instead
# ("iphone 15").
SIGNED_CHANGE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,31}) ([+-].*)$")
BARE_CHANGE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]{0,31}) ([0-9][0-9,. ]*)$")
MAX_STOCK_CHANGE = 999_999


async def _visible_sections(ctx: AppContext, user_id: int) -> list[AdminSection]:
    return [s for s in ctx.wiring.sections() if await has_role(ctx, user_id, s.role)]


@routes.message(Command("admin"), F.chat.type == "private")
async def admin_command(message: Message, ctx: AppContext, lang: str) -> None:
    if message.from_user is None:
        return
    visible = await _visible_sections(ctx, message.from_user.id)
    if not visible:
        raise DomainError("not_allowed")
    text, markup = views.menu(lang, visible)
    await message.answer(text, reply_markup=markup)


async def _leave_stock_typing(state: FSMContext) -> None:
    """Typed stock changes go on until /cancel or a tap elsewhere in /admin: after that, text is text again."""
    if await state.get_state() == AdminSG.stock.state:
        await state.set_state(None)


@routes.callback_query(AdminMenuCB.filter(F.section == "home"))
async def admin_home(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    visible = await _visible_sections(ctx, query.from_user.id)
    if not visible:
        raise DomainError("not_allowed")
    await _leave_stock_typing(state)
    await query.answer()
    text, markup = views.menu(lang, visible)
    await edit_or_answer(query, text, markup)


# ---------------------------------------------------------------- orders


@routes.callback_query(AdminMenuCB.filter(F.section == "orders"))
async def orders_section(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    await _leave_stock_typing(state)
    counts = await order_queues.counts(ctx.db)
    refunds = await payments.pending_refunds(ctx.db, 100)
    await query.answer()
    text, markup = views.orders_section(lang, counts, len(refunds))
    await edit_or_answer(query, text, markup)


@routes.callback_query(AdminListCB.filter())
async def order_queue(query: CallbackQuery, callback_data: AdminListCB, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    if callback_data.kind == "refunds":
        tasks = await payments.pending_refunds(ctx.db)
        await query.answer()
        text, markup = views.refund_queue(lang, tasks)
        await edit_or_answer(query, text, markup)
        return
    if callback_data.kind not in views.QUEUES:
        raise DomainError("bad_button")
    items = await order_queues.queue(ctx.db, callback_data.kind)
    await query.answer()
    text, markup = views.order_queue(lang, callback_data.kind, items)
    await edit_or_answer(query, text, markup)


async def _show_order(
    query: CallbackQuery, ctx: AppContext, lang: str, order: orders.OrderDetail, queue: str = ""
) -> None:
    buyer = await order_queues.buyer(ctx.db, order.user_id)
    point = pickup_point(ctx, order.pickup_point)
    text, markup = views.order_view(lang, order, point, ctx.settings.shop.timezone, buyer, queue)
    await edit_or_answer(query, text, markup)


@routes.message(Command("order"), F.chat.type == "private")
async def admin_order_by_number(message: Message, command: CommandObject, ctx: AppContext, lang: str) -> None:
    """`/order 12` (or `#12`): any order's admin screen, whatever its state; a delivered order a shopper wants
    to return is in no queue, and an agent's ticket names it by number."""
    if message.from_user is None:
        return
    await require_role(ctx, message.from_user.id, "admin")
    number = (command.args or "").strip().lstrip("#")
    if not number.isdigit() or len(number) > 9:
        await message.answer(t(lang, "admin.order_usage"))
        return
    order = await orders.get_order(ctx.db, int(number))
    buyer = await order_queues.buyer(ctx.db, order.user_id)
    point = pickup_point(ctx, order.pickup_point)
    text, markup = views.order_view(lang, order, point, ctx.settings.shop.timezone, buyer, "")
    await message.answer(text, reply_markup=markup)


@routes.callback_query(AdminOrderCB.filter(F.action == "view"))
async def admin_order(query: CallbackQuery, callback_data: AdminOrderCB, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    order = await orders.get_order(ctx.db, callback_data.order_id)
    await query.answer()
    await _show_order(query, ctx, lang, order, callback_data.q)


_TARGETS = {"ship": orders.SHIPPED, "deliver": orders.DELIVERED, "cancel": orders.CANCELLED}


@routes.callback_query(AdminOrderCB.filter(F.action.in_(set(_TARGETS))))
async def admin_move(
    query: CallbackQuery, callback_data: AdminOrderCB, ctx: AppContext, lang: str, fsm_storage: BaseStorage
) -> None:
    """Shipped / delivered (picked up) / cancelled; the buyer is told through the outbox. A repeated tap (a double
    tap, or a second admin on an older screen) finds the order already moved: "Already done", nothing changes."""
    await require_role(ctx, query.from_user.id, "admin")
    already_done = t_plain(lang, "taps.already_done")
    if await tap_guard.repeated(ctx, query, fsm_storage, already_done):
        return
    target = _TARGETS[callback_data.action]
    try:
        order = await orders.admin_transition(ctx.db, callback_data.order_id, target, query.from_user.id)
    except Conflict as exc:
        if exc.code != "illegal_transition" or exc.params.get("from_status") != target:
            raise
        await query.answer(already_done)
        await _show_order(query, ctx, lang, await orders.get_order(ctx.db, callback_data.order_id), callback_data.q)
        return
    moved_to = views.status_label(lang, target, order.delivery_method)
    await query.answer(t(lang, "admin.moved", order_id=order.id, status=moved_to))
    await _show_order(query, ctx, lang, order, callback_data.q)


@routes.callback_query(AdminOrderCB.filter(F.action == "refund"))
async def admin_refund_ask(query: CallbackQuery, callback_data: AdminOrderCB, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    order = await orders.get_order(ctx.db, callback_data.order_id)
    if order.status == orders.REFUNDED:  # a stale card's second Refund: done already, said as such (tester)
        await query.answer(t(lang, "admin.order_already_refunded", order_id=order.id))
        await _show_order(query, ctx, lang, order, callback_data.q)
        return
    if not orders.can_transition(order.status, orders.REFUNDED):
        raise DomainError("illegal_transition", from_status=order.status, to_status=orders.REFUNDED)
    await query.answer()
    text, markup = views.refund_confirm(lang, order, callback_data.q)
    await edit_or_answer(query, text, markup)


@routes.callback_query(AdminOrderCB.filter(F.action == "refund_yes"))
async def admin_refund(query: CallbackQuery, callback_data: AdminOrderCB, ctx: AppContext, lang: str) -> None:
    """Stars go back through Telegram at once; card refunds stay `refund_pending` for the provider's dashboard."""
    await require_role(ctx, query.from_user.id, "admin")
    tasks = await payments.refund_order(ctx.db, callback_data.order_id, query.from_user.id)
    manual = 0
    for task in tasks:
        done = False
        if task.method == "stars" and task.charge_id:
            done = await bot_payments.refund_stars(ctx, task.user_id, task.payment_id, task.charge_id)
        manual += 0 if done else 1
    key = "admin.refunded_manual" if manual else "admin.refunded"
    await query.answer(t(lang, key, order_id=callback_data.order_id), show_alert=bool(manual))
    await _show_order(query, ctx, lang, await orders.get_order(ctx.db, callback_data.order_id), callback_data.q)


@routes.callback_query(AdminRefundCB.filter(F.action == "view"))
async def refund_view(query: CallbackQuery, callback_data: AdminRefundCB, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    task = await payments.refund_task(ctx.db, callback_data.payment_id)
    buyer = await order_queues.buyer(ctx.db, task.user_id)
    await query.answer()
    text, markup = views.refund_view(lang, task, buyer)
    await edit_or_answer(query, text, markup)


@routes.callback_query(AdminRefundCB.filter(F.action.in_({"done", "retry"})))
async def refund_action(query: CallbackQuery, callback_data: AdminRefundCB, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    task = await payments.refund_task(ctx.db, callback_data.payment_id)
    outcome: payments.RefundMark
    if callback_data.action == "retry" and task.method == "stars" and task.charge_id:
        refunded = await bot_payments.refund_stars(ctx, task.user_id, task.payment_id, task.charge_id)
        # Telegram refuses a second refund of one charge: the refund may have been done a moment earlier.
        refunded_before = not refunded and await payments.refund_status(ctx.db, task.payment_id) == payments.REFUNDED
        outcome = "marked" if refunded else "already" if refunded_before else "not_pending"
    else:
        outcome = await payments.mark_refunded(
            ctx.db, task.payment_id, details=f"manual by {query.from_user.id}", admin_id=query.from_user.id
        )
    if outcome == "already":
        # A double tap, or another admin a moment earlier: the refund is recorded, not failed (an alert saying
        # it failed would have the admin refund the buyer a second time with the provider).
        await query.answer(t(lang, "admin.refund_already_marked"))
    else:
        ok = outcome == "marked"
        await query.answer(t(lang, "admin.refund_marked" if ok else "admin.refund_failed"), show_alert=not ok)
    text, markup = views.refund_queue(lang, await payments.pending_refunds(ctx.db))
    await edit_or_answer(query, text, markup)


# ---------------------------------------------------------------- stock


@routes.callback_query(AdminMenuCB.filter(F.section == "stock"))
async def stock_section(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    await state.set_state(AdminSG.stock)
    products = await stock_alerts.lowest_stock(ctx.db, STOCK_LIST_SIZE)
    await query.answer()
    text, markup = views.stock_prompt(lang, await _example_sku(ctx), products)
    await edit_or_answer(query, text, markup)


async def _example_sku(ctx: AppContext) -> str:
    """A SKU the admin's examples can name: the catalog's first product."""
    return await catalog.first_sku(ctx.db) or views.FALLBACK_SKU


async def _adjust(ctx: AppContext, user_id: int, sku: str, change: str) -> views.StockChange:
    """Adds or removes what `change` says ("+5", "-3", "5": adds); +0 changes nothing and says so. NotANumber
    when the amount is not a whole number people write."""
    sign, amount = typed_numbers.read_signed(change)
    if amount > MAX_STOCK_CHANGE:
        raise typed_numbers.NotANumber("typed_too_big", text=change[:20])
    delta = -amount if sign == "-" else amount
    if delta == 0:  # an audited no-op would only clutter the history: say what the stock is instead
        product = await catalog.get_product_by_sku(ctx.db, sku)
        if product is None:
            raise DomainError("admin_unknown_sku", sku=sku)
        return views.StockChange(sku, product.stock, 0)
    try:
        stock = await catalog.adjust_stock(ctx.db, sku, delta, actor_id=user_id)
    except DomainError as exc:
        if "not_found" in exc.code:
            raise DomainError("admin_unknown_sku", sku=sku) from exc
        if "negative" in exc.code:
            raise DomainError("admin_stock_negative", sku=sku, stock=exc.params.get("stock", 0)) from exc
        raise
    return views.StockChange(sku, stock, delta)


def _card_screen(ctx: AppContext, lang: str, card: stock_alerts.StockCard) -> tuple[str, InlineKeyboardMarkup]:
    return stock_card_views.screen(lang, card, ctx.settings.ops.low_stock_threshold)


StockAnswer = tuple[str, InlineKeyboardMarkup | None]


async def _typed_change(ctx: AppContext, user_id: int, lang: str, typed: str, *, more: bool) -> StockAnswer | None:
    """The answer to "SKU change", or None when the text is no change of a product we have (then it may be
    words of a name). `more`: the admin stays in the Stock section typing changes."""
    folded = typed_numbers.fold(typed)
    signed = SIGNED_CHANGE.match(folded)
    match = signed or BARE_CHANGE.match(folded)
    if match is None:
        return None
    typed_sku, change = match.groups()
    found = await stock_alerts.resolve_sku(ctx.db, typed_sku)  # any letter case: `apl-1 +5` is APL-1
    if found is None:
        if signed is not None and _is_number(change):
            raise DomainError("admin_unknown_sku", sku=typed_sku)  # clearly a change, of a SKU nobody has
        return None
    try:
        done = await _adjust(ctx, user_id, found[1], change)
    except typed_numbers.NotANumber as refusal:  # a SKU of ours and a sign: say what is wrong with the amount
        return views.stock_bad_amount(lang, found[1], refusal.code, str(refusal.params.get("text", change))), None
    return views.stock_done(lang, done, more=more)


def _is_number(change: str) -> bool:
    try:
        typed_numbers.read_signed(change)
    except typed_numbers.NotANumber:
        return False
    return True


async def _stock_answer(
    ctx: AppContext, user_id: int, lang: str, raw: str, *, more: bool = False
) -> tuple[bool, StockAnswer]:
    """(keep typing, the answer) to `/stock <raw>` or the same typed in the Stock section: "SKU +5" changes the
    stock (the section stays open for the next change); a SKU alone (any letter case) opens its stock screen,
    whose buttons take over; other words find products by name. A SKU nobody has is named back with how to find
    the product."""
    await require_role(ctx, user_id, "admin")
    typed = " ".join(raw.split())
    changed = await _typed_change(ctx, user_id, lang, typed, more=more)
    if changed is not None:
        return True, changed
    if SKU.match(typed):
        found = await stock_alerts.resolve_sku(ctx.db, typed)
        if found is not None:
            card = await stock_alerts.stock_card(ctx.db, found[0])
            if card is None:
                raise DomainError("ops_product_gone")  # switched off: nothing to stock or alert about
            return False, _card_screen(ctx, lang, card)
    named = await stock_alerts.cards_named(ctx.db, typed, STOCK_LIST_SIZE)
    if len(named) == 1:
        return False, _card_screen(ctx, lang, named[0])
    if named:
        return True, views.stock_matches(lang, typed, named)  # the admin picks one, or types again
    if SKU.match(typed):
        raise DomainError("admin_unknown_sku", sku=typed)
    raise DomainError("admin_bad_stock_input", sku=await _example_sku(ctx))


@routes.message(StateFilter(AdminSG.stock), Command("cancel"))
async def stock_cancel(message: Message, lang: str, state: FSMContext) -> None:
    await state.set_state(None)
    await message.answer(t(lang, "admin.stock_cancelled"))


@routes.message(StateFilter(AdminSG.stock), F.text, ~F.text.startswith("/"))
async def stock_typed(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    if message.from_user is None:
        return
    # After a change the section stays open: an admin doing a batch of changes types one after another until
    # /cancel or a tap elsewhere (another section, a product's stock screen).
    keep_typing, (text, markup) = await _stock_answer(ctx, message.from_user.id, lang, message.text or "", more=True)
    if not keep_typing:
        await state.set_state(None)  # a stock screen opened: its buttons take over
    await message.answer(text, reply_markup=markup)


@routes.message(StateFilter(AdminSG.stock), ~F.text)
async def stock_not_text(message: Message, ctx: AppContext, lang: str) -> None:
    await message.answer(t(lang, "errors.admin_bad_stock_input", sku=await _example_sku(ctx)))


@routes.message(Command("stock"), F.chat.type == "private")
async def stock_command(message: Message, command: CommandObject, ctx: AppContext, lang: str) -> None:
    """`/stock SKU +5` for admins who know what they want; `/stock SKU` opens the product's stock screen;
    `/stock words` finds products by name."""
    if message.from_user is None:
        return
    _, (text, markup) = await _stock_answer(ctx, message.from_user.id, lang, command.args or "")
    await message.answer(text, reply_markup=markup)


# ---------------------------------------------------------------- stats


def _start_of_today(ctx: AppContext) -> datetime:
    zone = ZoneInfo(ctx.settings.shop.timezone)
    return datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)


@routes.callback_query(AdminMenuCB.filter(F.section == "stats"))
async def stats_section(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    await _leave_stock_typing(state)
    data = await orders.stats(ctx.db, _start_of_today(ctx))
    await query.answer()
    text, markup = views.stats(lang, data)
    await edit_or_answer(query, text, markup)


def setup() -> Router:
    return routes.build()
