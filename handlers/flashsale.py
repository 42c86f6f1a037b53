"""Flash sales: the Buy tap (the storm path), paying a won unit, /subscribe (which also lifts a broadcast
opt-out) and /unsubscribe, and the admin's /flash_* commands and /admin section."""

from __future__ import annotations

import asyncio
import html
import logging
import shlex
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import CallbackQuery, Message

import bot.views.flashsale as views
from bot import tap_guard
from bot.access import require_role
from bot.admin_menu import AdminSection
from bot.callbacks.catalog import ProductCB
from bot.callbacks.flashsale import FlashAdminCB, FlashBuyCB, FlashPayCB, FlashReceiptCB
from bot.context import AppContext
from bot.deeplinks import start_link
from bot.delivery_rules import delivery_rule
from bot.i18n import t, t_plain
from bot.payments import send_order_invoice
from bot.product_cards import card_options, in_group, show_card, tapper_facts
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from bot.views.common import open_private_chat
from store import broadcasts, flashsale, orders
from store.errors import DomainError
from store.flashsale import AdmissionGate
from store.flashsale.typed_price import typed_price_for_sku
from store.growth import tiers
from store.models import utcnow
from store.money import STARS
from store.users import NewUser

log = logging.getLogger(__name__)

routes = Routes("flashsale")

ADMIN_SECTION = AdminSection("flash", "flashsale.admin.section", "admin", order=40)


def admission(ctx: AppContext) -> AdmissionGate:
    return ctx.admission


# ---------------------------------------------------------------------------------------------- buyers


def _from_private(query: CallbackQuery) -> bool:
    """A tap in a group proves nothing about the private chat: a tapper first seen there is stored unreachable,
    so their "you got it" waits (parked) until they open the bot instead of drawing a 403."""
    return query.message is not None and query.message.chat.type == "private"


@routes.callback_query(FlashBuyCB.filter())
async def buy(
    query: CallbackQuery, callback_data: FlashBuyCB, ctx: AppContext, lang: str, fsm_storage: BaseStorage
) -> None:
    """Decided by the admission gate before any database work (sold out, limit, not started, ended); an admitted
    tap waits for its batch at most the answer budget, then hears "busy, you are in the queue". The toast is the
    only answer here: the winner's order message goes through the outbox.

    The same button tapped again within a second (a double tap, on the group card or the private notice) is the
    same intent: it takes nothing and hears what the first one got. The guard is here, not in a middleware, so it
    holds on the storm lane too (bot/flash_lane.py hands this handler the FSM storage, whose Redis the guard
    shares between processes); it costs no database work."""
    if not await tap_guard.first_tap(ctx, query, fsm_storage):
        await _answer_repeat(query, callback_data, ctx, lang)
        return
    result = await _claim(query, callback_data, ctx, lang)
    if result.outcome == flashsale.RETRY:
        await tap_guard.release(ctx, query, fsm_storage)  # "tap again" means now: the next tap must act
    await _answer(query, ctx, result.language or lang, callback_data.sale_id, result)
    await _redraw_stale_card(query, callback_data, ctx, lang, result)


async def _claim(query: CallbackQuery, callback_data: FlashBuyCB, ctx: AppContext, lang: str) -> flashsale.ClaimResult:
    tapper = query.from_user
    try:
        return await ctx.admission.tap(
            callback_data.sale_id,
            tapper.id,
            user=NewUser(tapper.id, tapper.first_name, tapper.last_name, tapper.username, lang, _from_private(query)),
            budget=ctx.settings.flashsale.answer_budget_seconds,
        )
    except DomainError:
        raise  # an unknown sale: the error handler says so in the user's language
    except Exception:
        # The gate could not read the sale (database down or saturated): nothing was taken, and the honest answer
        # is "tap again", not the generic apology.
        log.exception("flash sale %s: tap of %s not decided", callback_data.sale_id, tapper.id)
        return flashsale.ClaimResult(flashsale.RETRY)


async def _answer_repeat(query: CallbackQuery, callback_data: FlashBuyCB, ctx: AppContext, lang: str) -> None:
    """What a repeat hears: what the user holds, or that the first tap is still being decided (in the queue
    here, or in another process when nothing tells yet)."""
    try:
        result = await ctx.admission.repeat(
            callback_data.sale_id, query.from_user.id, budget=ctx.settings.flashsale.answer_budget_seconds
        )
    except Exception as exc:  # the first tap has its own answer: the repeat's must not be the apology
        log.info("flash sale %s: repeated tap of %s not told: %r", callback_data.sale_id, query.from_user.id, exc)
        result = None
    if result is None:
        # An empty answer left a shopper who tapped three times wondering whether anything happened.
        await query.answer(t_plain(lang, "flashsale.toast.repeat.pending"))
        return
    await _answer(query, ctx, lang, callback_data.sale_id, result, repeat=True)
    await _redraw_stale_card(query, callback_data, ctx, lang, result)


# After these answers the flash price and Buy button on a product card are out of date.
_CARD_OUT_OF_DATE = (flashsale.SOLD_OUT, flashsale.ENDED_OUTCOME)


async def _redraw_stale_card(
    query: CallbackQuery, callback_data: FlashBuyCB, ctx: AppContext, lang: str, result: flashsale.ClaimResult
) -> None:
    """A Buy on a product card whose sale ended or sold out: the toast said so, and the card is redrawn as it is now
    (the regular price and Add button), as a stale Add is. Best effort: the toast has already answered."""
    if result.outcome not in _CARD_OUT_OF_DATE or not callback_data.p:
        return
    try:
        group = in_group(query)
        facts = await tapper_facts(ctx, query, callback_data.p, group=group)
        if facts is not None and facts.product.active:
            options = card_options(ctx, ProductCB(a="open", p=callback_data.p), group=group)
            await show_card(query, ctx, lang, facts.product, options, same=True, facts=facts)
    except Exception:
        log.exception("card of product %s not redrawn after a flash answer", callback_data.p)


async def _answer(
    query: CallbackQuery,
    ctx: AppContext,
    lang: str,
    sale_id: int,
    result: flashsale.ClaimResult,
    *,
    repeat: bool = False,
) -> None:
    limit, starts_at = ctx.admission.describe(sale_id)
    reason = await _limit_reason(sale_id, query.from_user.id, ctx) if result.outcome == flashsale.LIMIT else None
    text = views.toast(
        lang,
        result,
        limit,
        ctx.settings.flashsale.payment_window_minutes,
        views.local_time(starts_at, ctx.settings.shop.timezone) if starts_at else "",
        private=_from_private(query),
        repeat=repeat,
        limit_reason=reason,
    )
    if result.outcome == flashsale.WON and result.order_id is not None:
        # The group stays quiet and the winner may never have opened a private chat with the bot (then it cannot
        # write to them first): the answer opens the private chat, whose /start sends the invoice.
        url = start_link(ctx.bot_username, views.PAY_LINK, str(result.order_id))
        await query.answer(text, show_alert=True, url=url)
        return
    await query.answer(text)


# How long a LIMIT answer may wait to learn why (the gate decided without the database): past it, the plain answer.
LIMIT_REASON_SECONDS = 2.0


async def _limit_reason(sale_id: int, user_id: int, ctx: AppContext) -> str | None:
    """Whether the units that put the user at the limit went back unpaid (then "you already got one" is not true).
    Asked only after the gate answered LIMIT, never for the taps it admits or refuses otherwise; a database too busy
    to tell within LIMIT_REASON_SECONDS leaves the plain answer."""
    try:
        return await asyncio.wait_for(flashsale.limit_reason(ctx.db, sale_id, user_id), LIMIT_REASON_SECONDS)
    except Exception as exc:
        log.info("flash sale %s: why %s is at the limit not told: %r", sale_id, user_id, exc)
        return None


def _not_payable(order: orders.OrderDetail) -> str:
    """Why a won unit's Pay does nothing: a paid order is not "gone", it is done."""
    return "flashsale.pay_done" if order.status in orders.PAID_STATUSES else "flashsale.pay_gone"


async def pay_link(message: Message, value: str, data: dict[str, object]) -> None:
    """`/start fsp_<order id>` from the winner's toast: the invoice for that order, in the private chat."""
    ctx = data["ctx"]
    lang = str(data["lang"])
    assert isinstance(ctx, AppContext)
    if message.from_user is None or not value.isdigit():
        return
    order = await orders.get_order(ctx.db, int(value), message.from_user.id)
    if not order.payable or order.source != flashsale.SOURCE:
        await message.answer(t(lang, _not_payable(order), order_id=order.id))
        return
    order = await _in_stars_if_digital(ctx, order, message.from_user.id)
    points = ctx.settings.shop.pickup_points
    if points and order.delivery_method in ("delivery", "pickup"):
        # Like a normal checkout, the winner picks delivery or a pick-up point first; that button sends the invoice.
        # The winner's tier may give free delivery: the choice says what delivery will charge them.
        perk = await tiers.delivery_perk(ctx.db, message.from_user.id)
        text, markup = views.pay_prompt(ctx, lang, order.id, order.subtotal, order.currency, member_free_over=perk)
        sent = await message.answer(text, reply_markup=markup)
        # Kept, so the buttons come off if the unit goes back unpaid (store.flashsale.pay_messages).
        await flashsale.record_pay_prompt(
            ctx.db,
            message.from_user.id,
            order.id,
            sent.message_id,
            {"subtotal": order.subtotal, "currency": order.currency, "member_free_over": perk},
        )
        return
    order = await _with_delivery_fee(ctx, order, message.from_user.id)
    await send_order_invoice(ctx, message.from_user.id, order, lang)


@routes.callback_query(FlashReceiptCB.filter())
async def receipt(
    query: CallbackQuery, callback_data: FlashReceiptCB, ctx: AppContext, lang: str, fsm_storage: BaseStorage
) -> None:
    """Delivery or a pick-up point for a won unit, then its invoice (no address asked for a pick-up)."""
    if await tap_guard.repeated(ctx, query, fsm_storage, t_plain(lang, "taps.invoice_sent")):
        return  # a double tap asks for one invoice
    points = {p.id: p for p in ctx.settings.shop.pickup_points}
    chosen = None if callback_data.r == views.DELIVERY else callback_data.r
    order = await flashsale.choose_receipt(
        ctx.db, callback_data.order_id, query.from_user.id, chosen, list(points), rule=delivery_rule(ctx.settings)
    )
    point = points.get(chosen) if chosen is not None else None
    await query.answer(views.pickup_toast(lang, point, ctx.settings.shop.timezone) if point is not None else None)
    await send_order_invoice(ctx, query.from_user.id, order, lang)


@routes.callback_query(FlashPayCB.filter())
async def pay(
    query: CallbackQuery, callback_data: FlashPayCB, ctx: AppContext, lang: str, fsm_storage: BaseStorage
) -> None:
    if await tap_guard.repeated(ctx, query, fsm_storage, t_plain(lang, "taps.invoice_sent")):
        return  # a double tap asks for one invoice
    order = await orders.get_order(ctx.db, callback_data.order_id, query.from_user.id)
    if not order.payable or order.source != flashsale.SOURCE:
        await query.answer(t(lang, _not_payable(order), order_id=order.id), show_alert=True)
        return
    await query.answer()
    order = await _in_stars_if_digital(ctx, order, query.from_user.id)
    await send_order_invoice(ctx, query.from_user.id, await _with_delivery_fee(ctx, order, query.from_user.id), lang)


async def _with_delivery_fee(ctx: AppContext, order: orders.OrderDetail, user_id: int) -> orders.OrderDetail:
    """A won unit paid without a receipt choice (the shop has no pick-up points) is delivered: its invoice charges
    the delivery fee, as the Delivery button's would. Written once: an order already carrying it is sent as it is."""
    if order.delivery_method != "delivery" or order.currency == STARS:
        return order
    perk = await tiers.delivery_perk(ctx.db, user_id)  # the winner's tier may give free delivery
    if order.delivery_fee == delivery_rule(ctx.settings).for_member(perk).fee_for("delivery", order.subtotal):
        return order
    return await flashsale.choose_receipt(ctx.db, order.id, user_id, None, (), rule=delivery_rule(ctx.settings))


async def _in_stars_if_digital(ctx: AppContext, order: orders.OrderDetail, user_id: int) -> orders.OrderDetail:
    """A digital good is paid in Stars when Stars are on and it has a Star price, as at a checkout."""
    if order.delivery_method != "digital" or not ctx.settings.payments.stars_enabled:
        return order
    return await flashsale.pay_in_stars(ctx.db, order.id, user_id) or order


@routes.message(Command("subscribe"), F.chat.type == "private")
async def subscribe(message: Message, ctx: AppContext, lang: str) -> None:
    if message.from_user is None:
        return
    """Flash-sale alerts on, and shop announcements back for one who opted out of them (both idempotent)."""
    changed = await flashsale.set_subscribed(ctx.db, message.from_user.id, True)
    back = await broadcasts.opt_in(ctx.db, message.from_user.id)
    lines = [t(lang, "flashsale.subscribed")] if changed else []
    if back:
        lines.append(t(lang, "ops_bc.back_on"))
    await message.answer("\n".join(lines) or t(lang, "flashsale.already_subscribed"))


@routes.message(Command("unsubscribe"), F.chat.type == "private")
async def unsubscribe(message: Message, ctx: AppContext, lang: str) -> None:
    if message.from_user is None:
        return
    changed = await flashsale.set_subscribed(ctx.db, message.from_user.id, False)
    await message.answer(t(lang, "flashsale.unsubscribed" if changed else "flashsale.not_subscribed"))


@routes.message(Command("subscribe", "unsubscribe"))
async def subscription_in_group(message: Message, ctx: AppContext, lang: str, command: CommandObject) -> None:
    """Alerts go to the private chat, so the choice is made there: a short group reply with a button that runs the
    command in private (a deep link, which also works for someone who never started the bot)."""
    name = command.command.lower()
    url = start_link(ctx.bot_username, views.SUBSCRIPTION_LINK, name)
    markup = open_private_chat(lang, url, f"private_only.{name}_button")
    await message.reply(t(lang, f"private_only.{name}"), reply_markup=markup)


async def subscription_link(message: Message, value: str, data: dict[str, Any]) -> None:
    """`/start fss_subscribe` / `fss_unsubscribe` from a group reply: the command, in the private chat."""
    if value == "subscribe":
        await subscribe(message, data["ctx"], data["lang"])
    elif value == "unsubscribe":
        await unsubscribe(message, data["ctx"], data["lang"])
    else:
        await message.answer(t(data["lang"], "start.bad_link"))


# ---------------------------------------------------------------------------------------------- admins

CREATE_USAGE = "/flash_create sku=SKU price=19.90 stock=100 start=+10m end=+1h limit=1 groups=all"
EDIT_USAGE = "/flash_edit ID price=… stock=… start=… end=… limit=… groups=…"
FIELDS = {"sku", "price", "stock", "start", "end", "limit", "groups"}


def _fields(args: str | None) -> dict[str, str]:
    """`key=value` pairs; quotes allow spaces (`start="2026-12-01 20:00"`)."""
    try:
        parts = shlex.split(args or "")
    except ValueError as exc:
        raise DomainError("flash_bad_command", detail=str(exc)) from exc
    out: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep or key.lower() not in FIELDS or not value:
            raise DomainError("flash_bad_command", detail=html.escape(part[:40]))
        out[key.lower()] = value
    return out


def _int(value: str, name: str) -> int:
    if not value.isdigit():
        raise DomainError("flash_bad_command", detail=f"{name}={html.escape(value[:20])}")
    return int(value)


async def spec_from(ctx: AppContext, fields: dict[str, str]) -> flashsale.SaleSpec:
    missing = [k for k in ("sku", "price", "stock", "start", "end") if k not in fields]
    if missing:
        raise DomainError("flash_bad_command", detail=", ".join(missing))
    now = utcnow()
    tz = ctx.settings.shop.timezone
    starts_at = flashsale.parse_time(fields["start"], now, tz)
    ends_at = flashsale.parse_time(fields["end"], starts_at if fields["end"].startswith("+") else now, tz)
    return flashsale.SaleSpec(
        sku=fields["sku"],
        price=await typed_price_for_sku(ctx.db, fields["price"], fields["sku"]),
        stock=_int(fields["stock"], "stock"),
        starts_at=starts_at,
        ends_at=ends_at,
        per_user_limit=_int(fields.get("limit", "1"), "limit"),
        groups=flashsale.parse_groups(fields.get("groups")),
    )


async def edit_from(ctx: AppContext, fields: dict[str, str], current: flashsale.SaleView) -> flashsale.SaleEdit:
    now = utcnow()
    tz = ctx.settings.shop.timezone
    starts_at = flashsale.parse_time(fields["start"], now, tz) if "start" in fields else None
    ends_at = None
    if "end" in fields:
        base = (starts_at or current.starts_at) if fields["end"].startswith("+") else now
        ends_at = flashsale.parse_time(fields["end"], base, tz)
    groups_text = fields.get("groups")
    return flashsale.SaleEdit(
        price=await typed_price_for_sku(ctx.db, fields["price"], current.sku) if "price" in fields else None,
        stock=_int(fields["stock"], "stock") if "stock" in fields else None,
        starts_at=starts_at,
        ends_at=ends_at,
        per_user_limit=_int(fields["limit"], "limit") if "limit" in fields else None,
        groups=flashsale.parse_groups(groups_text) if groups_text is not None else None,
        all_groups=groups_text is not None and flashsale.parse_groups(groups_text) is None,
    )


@routes.message(Command("flash_create"))
async def create(message: Message, command: CommandObject, ctx: AppContext, lang: str) -> None:
    if message.from_user is None:
        return
    await require_role(ctx, message.from_user.id, "admin")
    if not command.args:
        await message.answer(t(lang, "flashsale.admin.usage", usage=CREATE_USAGE))
        return
    sale = await flashsale.create_sale(
        ctx.db, await spec_from(ctx, _fields(command.args)), actor_id=message.from_user.id
    )
    await message.answer(views.sale_text(lang, "flashsale.admin.created", sale, ctx.settings.shop.timezone))


@routes.message(Command("flash_edit"))
async def edit(message: Message, command: CommandObject, ctx: AppContext, lang: str) -> None:
    if message.from_user is None:
        return
    await require_role(ctx, message.from_user.id, "admin")
    sale_id, _, rest = (command.args or "").strip().partition(" ")
    if not sale_id.isdigit() or not rest.strip():
        await message.answer(t(lang, "flashsale.admin.usage", usage=EDIT_USAGE))
        return
    current = await flashsale.get_sale(ctx.db, int(sale_id))
    sale = await flashsale.edit_sale(
        ctx.db, current.id, await edit_from(ctx, _fields(rest), current), actor_id=message.from_user.id
    )
    await message.answer(views.sale_text(lang, "flashsale.admin.edited", sale, ctx.settings.shop.timezone))


@routes.message(Command("flash_cancel"))
async def cancel(message: Message, command: CommandObject, ctx: AppContext, lang: str) -> None:
    if message.from_user is None:
        return
    await require_role(ctx, message.from_user.id, "admin")
    arg = (command.args or "").strip()
    if not arg.isdigit():
        await message.answer(t(lang, "flashsale.admin.usage", usage="/flash_cancel ID"))
        return
    sale = await flashsale.cancel_sale(ctx.db, int(arg), admin_ids=ctx.settings.admins, actor_id=message.from_user.id)
    await message.answer(t(lang, "flashsale.admin.cancelled", sale_id=sale.id))


# /flash_list and this section's screen (AdminMenuCB "flash") are the tappable list in handlers/admin_flash.py;
# the buttons below stay for list messages sent before it.


@routes.callback_query(FlashAdminCB.filter())
async def admin_action(query: CallbackQuery, callback_data: FlashAdminCB, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    if callback_data.action == "cancel":
        sale = await flashsale.cancel_sale(
            ctx.db, callback_data.sale_id, admin_ids=ctx.settings.admins, actor_id=query.from_user.id
        )
        await query.answer(t(lang, "flashsale.admin.cancelled", sale_id=sale.id))
    else:
        await query.answer()
    text, markup = views.admin_list(lang, await flashsale.list_sales(ctx.db), ctx.settings.shop.timezone)
    await edit_or_answer(query, text, markup)


def setup() -> Router:
    return routes.build()
