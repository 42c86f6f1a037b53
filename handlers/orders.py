"""/orders: the buyer's orders, their details and history, paying again, cancelling an unpaid one and having a
paid digital good sent again; /mydata and /forgetme."""

from __future__ import annotations

import json
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from bot import payments as bot_payments
from bot import support_desk, tap_guard
from bot.callbacks.common import MenuCB
from bot.callbacks.orders import OrderCB, PrivacyCB
from bot.context import AppContext
from bot.deeplinks import start_link
from bot.i18n import t, t_plain
from bot.middlewares import UserContextMiddleware
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from bot.views import orders as views
from bot.views.checkout import pickup_point
from bot.views.clock import zoned
from bot.views.common import personal_in_group
from store import delivery, orders, personal_lists, privacy
from store.errors import DomainError

routes = Routes("orders")
LIST_SIZE = 10


@routes.message(Command("orders"), F.chat.type == "private")
async def orders_command(message: Message, ctx: AppContext, lang: str) -> None:
    if message.from_user is None:
        return
    items = await orders.latest_orders(ctx.db, message.from_user.id, LIST_SIZE)
    text, markup = views.order_list(lang, items, ctx.settings.shop.timezone)
    await message.answer(text, reply_markup=markup)


@routes.message(Command("orders"))
async def orders_in_group(message: Message, ctx: AppContext, lang: str) -> None:
    await message.reply(t(lang, "orders.in_private"), reply_markup=_in_private(ctx, lang, "orders"))


def _in_private(ctx: AppContext, lang: str, command: str, label_key: str | None = None) -> InlineKeyboardMarkup:
    link = (views.PERSONAL_PREFIX, command)
    return personal_in_group(lang, ctx.bot_username, link, label_key or f"orders.open_{command}")


async def personal_link(message: Message, value: str, data: dict[str, Any]) -> None:
    """`/start my_<command>` from a group reply: that command's screen, in the private chat."""
    ctx: AppContext = data["ctx"]
    lang: str = data["lang"]
    if value == "orders":
        await orders_command(message, ctx, lang)
    elif value == "mydata":
        await my_data(message, ctx, lang)
    elif value == "forgetme":
        await forget_me(message, lang)
    elif value == "support":
        await _support_here(message, ctx, lang, data.get("state"))
    else:
        await message.answer(t(lang, "start.bad_link"))


@routes.callback_query(MenuCB.filter(F.action == "orders"))
@routes.callback_query(OrderCB.filter(F.action == "list"))
async def orders_button(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    if query.message is None or query.message.chat.type != "private":
        url = start_link(ctx.bot_username, views.PERSONAL_PREFIX, "orders")
        await query.answer(t(lang, "orders.in_private"), url=url)
        return
    items = await orders.latest_orders(ctx.db, query.from_user.id, LIST_SIZE)
    await query.answer()
    text, markup = views.order_list(lang, items, ctx.settings.shop.timezone)
    await edit_or_answer(query, text, markup)


async def _render(query: CallbackQuery, ctx: AppContext, lang: str, order: orders.OrderDetail) -> None:
    text, markup = views.detail(
        lang, order, pickup_point(ctx, order.pickup_point), ctx.settings.shop.timezone, ctx.settings.shop.return_days
    )
    await edit_or_answer(query, text, markup)


@routes.callback_query(OrderCB.filter(F.action == "view"))
async def order_view(query: CallbackQuery, callback_data: OrderCB, ctx: AppContext, lang: str) -> None:
    order = await orders.get_order(ctx.db, callback_data.order_id, user_id=query.from_user.id)
    await query.answer()
    await _render(query, ctx, lang, order)


@routes.callback_query(OrderCB.filter(F.action == "open"))
async def order_open(query: CallbackQuery, callback_data: OrderCB, ctx: AppContext, lang: str) -> None:
    """ "View order" under delivered goods: the order as a new message, so the codes it sits under stay in the chat."""
    order = await orders.get_order(ctx.db, callback_data.order_id, user_id=query.from_user.id)
    await query.answer()
    text, markup = views.detail(
        lang, order, pickup_point(ctx, order.pickup_point), ctx.settings.shop.timezone, ctx.settings.shop.return_days
    )
    await ctx.bot.send_message(query.from_user.id, text, reply_markup=markup)


@routes.callback_query(OrderCB.filter(F.action == "cancel"))
async def order_cancel_ask(query: CallbackQuery, callback_data: OrderCB, ctx: AppContext, lang: str) -> None:
    """Asks "Cancel order #N?" (also the assistant's "Cancel order #N" button: one confirmation for both)."""
    order = await orders.get_order(ctx.db, callback_data.order_id, user_id=query.from_user.id)
    if await _already_cancelled(query, lang, order):
        return
    if not order.cancellable:
        raise DomainError("order_not_cancellable", order_id=order.id)
    await query.answer()
    text, markup = views.cancel_confirm(lang, order)
    await edit_or_answer(query, text, markup)


@routes.callback_query(OrderCB.filter(F.action == "cancel_yes"))
async def order_cancel(query: CallbackQuery, callback_data: OrderCB, ctx: AppContext, lang: str) -> None:
    order = await orders.get_order(ctx.db, callback_data.order_id, user_id=query.from_user.id)
    if await _already_cancelled(query, lang, order):
        return
    if not order.cancellable:
        raise DomainError("order_not_cancellable", order_id=order.id)
    try:
        order = await orders.cancel_by_buyer(ctx.db, order.id, query.from_user.id)
    except DomainError:
        # A double tap: the other tap cancelled it between the read above and this one.
        if await _already_cancelled(query, lang, await orders.get_order(ctx.db, order.id, query.from_user.id)):
            return
        raise
    await query.answer(t(lang, "orders.cancelled_toast", order_id=order.id))
    await _render(query, ctx, lang, order)
    await bot_payments.withdraw_older_invoices(ctx, order.id)  # a cancelled order's Pay buttons go with it


async def _already_cancelled(query: CallbackQuery, lang: str, order: orders.OrderDetail) -> bool:
    """A stale or repeated tap on an order cancelled since (a second "Yes", an old "Cancel" button): it says so."""
    if order.status != orders.CANCELLED:
        return False
    await query.answer(t_plain(lang, "support.orders.already_cancelled", order_id=order.id), show_alert=True)
    return True


@routes.callback_query(OrderCB.filter(F.action == "resend"))
async def order_resend(query: CallbackQuery, callback_data: OrderCB, ctx: AppContext, lang: str) -> None:
    """A paid digital order's goods, again (lost in the chat, or a new phone): through the outbox like the first
    time, so a file or code looks the same and the sends are paced."""
    queued = await delivery.resend(ctx.db, callback_data.order_id, query.from_user.id)
    await query.answer(t(lang, "orders.resent_toast" if queued else "orders.resend_busy_toast"))


@routes.callback_query(OrderCB.filter(F.action == "return"))
async def order_return(query: CallbackQuery, callback_data: OrderCB, ctx: AppContext, lang: str) -> None:
    """A return or refund goes to a person: a support ticket with the order attached (the agent sees it on the
    ticket card, and an admin refunds it from `/order N`)."""
    order = await orders.get_order(ctx.db, callback_data.order_id, query.from_user.id)  # the buyer's own only
    days = ctx.settings.shop.return_days
    if not order.returnable(days):
        delivered = order.delivered_at
        if order.status == orders.DELIVERED and delivered is not None:  # an old screen: the window closed since
            date = zoned(delivered, ctx.settings.shop.timezone, "%Y-%m-%d")
            text = t(lang, "orders.return_window_closed", order_id=order.id, date=date, days=days)
        else:
            text = t(lang, "orders.return_not_now")
        await query.answer(text, show_alert=True)
        return
    await query.answer()
    text, markup = await support_desk.open_ticket_for(ctx, query.from_user.id, lang, reason="refund", order_id=order.id)
    await ctx.bot.send_message(query.from_user.id, text, reply_markup=markup)


@routes.callback_query(OrderCB.filter(F.action == "pay"))
async def order_pay(
    query: CallbackQuery, callback_data: OrderCB, ctx: AppContext, lang: str, fsm_storage: BaseStorage
) -> None:
    """A new invoice for an unpaid order (the old one may be lost in the chat, and is withdrawn)."""
    if await tap_guard.repeated(ctx, query, fsm_storage, t_plain(lang, "taps.invoice_sent")):
        return  # a double-click asks for one invoice
    order = await orders.get_order(ctx.db, callback_data.order_id, user_id=query.from_user.id)
    if order.status in orders.PAID_STATUSES:
        # A detail drawn before the payment: say it is paid and redraw it, which takes its Pay button away.
        await query.answer(t(lang, "orders.already_paid_toast", order_id=order.id))
        await _render(query, ctx, lang, order)
        return
    if not order.payable:
        raise DomainError("payment_order_not_payable", order_id=order.id)
    await query.answer()
    await bot_payments.send_order_invoice(ctx, query.from_user.id, order, lang)


# ---------------------------------------------------------------- personal data


@routes.message(Command("mydata"), F.chat.type == "private")
async def my_data(message: Message, ctx: AppContext, lang: str) -> None:
    """The user's stored personal data as a JSON document (with the way back to shop announcements for one who
    opted out of them)."""
    if message.from_user is None:
        return
    data = await privacy.export_user_data(ctx.db, message.from_user.id)
    content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    lists = personal_lists.counts(data)
    await message.answer_document(
        BufferedInputFile(content, filename=f"mydata-{message.from_user.id}.json"),
        caption=views.export_caption(lang, len(data["orders"]), lists),
        reply_markup=views.export_markup(lang, lists),
    )


@routes.message(Command("forgetme"), F.chat.type == "private")
async def forget_me(message: Message, lang: str) -> None:
    text, markup = views.forget_confirm(lang)
    await message.answer(text, reply_markup=markup)


@routes.message(Command("mydata", "forgetme"))
async def privacy_in_group(message: Message, ctx: AppContext, lang: str, command: CommandObject) -> None:
    await message.reply(t(lang, "privacy.in_private"), reply_markup=_in_private(ctx, lang, command.command.lower()))


@routes.message(Command("support"), ~(F.chat.type == "private"))
async def support_in_group(message: Message, ctx: AppContext, lang: str) -> None:
    """A conversation with the team is private (the support router answers /support there): in a group, a short
    reply whose button opens it in the private chat."""
    markup = _in_private(ctx, lang, "support", "private_only.support_button")
    await message.reply(t(lang, "private_only.support"), reply_markup=markup)


async def _support_here(message: Message, ctx: AppContext, lang: str, state: FSMContext | None) -> None:
    """What /support does in the private chat: any dialogue in progress ends, and a ticket opens (or is named)."""
    if message.from_user is None:
        return
    if state is not None:
        await state.clear()
    text, markup = await support_desk.open_ticket_for(ctx, message.from_user.id, lang)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(PrivacyCB.filter())
async def forget_answer(
    query: CallbackQuery,
    callback_data: PrivacyCB,
    ctx: AppContext,
    lang: str,
    state: FSMContext,
    user_context: UserContextMiddleware | None = None,
) -> None:
    if callback_data.action != "forget":
        await query.answer()
        await edit_or_answer(query, t(lang, "privacy.kept"))
        return
    erased = await privacy.forget_user(ctx.db, query.from_user.id)
    # A checkout in progress keeps typed details in the conversation state: they go too.
    await state.clear()
    if user_context is not None:
        # Their next update reads the row again, so coming back (store.users.welcome_back) is noticed at once.
        user_context.forget(query.from_user.id)
    await support_desk.anonymise_topic(ctx, query.from_user.id)
    await query.answer()
    # "…and 0 orders" reads as if something went wrong (outside tester): a shopper with no orders is not told of them.
    count = erased.orders_anonymised
    done = t(lang, "privacy.forgotten", orders=count) if count else t(lang, "privacy.forgotten_no_orders")
    if erased.orders_open:
        done += "\n\n" + t(lang, "privacy.open_orders_kept", orders=erased.orders_open)
    if erased.group_buys_open:
        done += "\n\n" + t(lang, "privacy.open_group_buys_kept", buys=erased.group_buys_open)
    await edit_or_answer(query, done)


def setup() -> Router:
    return routes.build()
