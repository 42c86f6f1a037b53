"""Check-ins, points, tiers, the points shop and the admins' coupons."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot import access
from bot.admin_menu import AdminSection
from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.growth import GrowthCB
from bot.context import AppContext
from bot.coupon_syntax import parse_coupon
from bot.i18n import Translator, t
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from bot.views import growth as views
from bot.views.clock import daily_at
from bot.views.common import personal_in_group
from store import users
from store.growth import checkin, coupons, points, tiers
from store.models import utcnow

routes = Routes("loyalty")
ADMIN_SECTION = AdminSection("coupons", "growth.admin_section", order=60)


async def _points_screen(ctx: AppContext, user_id: int, lang: str) -> tuple[str, object]:
    balance = await points.balance(ctx.db, user_id)
    status = await tiers.status(ctx.db, user_id)
    history = await points.movements(ctx.db, user_id, limit=5)
    user = await users.get_user(ctx.db, user_id)
    return views.points_view(
        lang,
        balance,
        status,
        history,
        ctx.settings.shop.currency,
        bool(user and user.checkin_reminder),
        _reminder_at(ctx),
    )


def _reminder_at(ctx: AppContext) -> str:
    return daily_at(ctx.settings.loyalty.reminder_hour, ctx.settings.shop.timezone, utcnow())


@routes.message(Command("checkin"), F.chat.type == "private")
async def checkin_command(message: Message, ctx: AppContext, lang: str) -> None:
    if message.from_user is None:
        return
    result = await checkin.check_in(ctx.db, message.from_user.id)
    await message.answer(views.checkin_text(lang, result))


@routes.message(Command("checkin"))
async def checkin_in_group(message: Message, ctx: AppContext, lang: str) -> None:
    """A check-in answer tells the balance and streak, which are nobody else's business: the group gets a short
    reply whose button checks in from the private chat (one tap, also for someone who never started the bot)."""
    markup = personal_in_group(lang, ctx.bot_username, views.CHECKIN_LINK, "growth.btn_checkin")
    await message.reply(t(lang, "growth.checkin_in_private"), reply_markup=markup)


async def checkin_link(message: Message, value: str, data: dict[str, Any]) -> None:
    """`/start ci_go` (the check-in) or `/start ci_pts` (the points screen) from a group reply, in the private
    chat. Both live under one prefix: check-ins and points are one feature."""
    if value == views.POINTS_LINK[1]:
        await _send_points(message, data["ctx"], data["lang"])
        return
    await checkin_command(message, data["ctx"], data["lang"])


@routes.callback_query(GrowthCB.filter(F.action == "checkin"))
async def checkin_button(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    result = await checkin.check_in(ctx.db, query.from_user.id)
    await query.answer(views.checkin_text(lang, result)[:200], show_alert=not result.already)
    if query.message is not None and getattr(query.message, "chat", None) and query.message.chat.type == "private":
        text, markup = await _points_screen(ctx, query.from_user.id, lang)
        await edit_or_answer(query, text, markup)  # type: ignore[arg-type]


async def _send_points(message: Message, ctx: AppContext, lang: str) -> None:
    if message.from_user is None:
        return
    text, markup = await _points_screen(ctx, message.from_user.id, lang)
    await message.answer(text, reply_markup=markup)  # type: ignore[arg-type]


@routes.message(Command("points"), F.chat.type == "private")
async def points_command(message: Message, ctx: AppContext, lang: str) -> None:
    await _send_points(message, ctx, lang)


@routes.message(Command("points"))
async def points_in_group(message: Message, ctx: AppContext, lang: str) -> None:
    """Balance, tier and history are nobody else's business: like the other personal commands, the group gets
    one short reply whose button opens the points screen in the private chat (also for someone who never
    started the bot)."""
    markup = personal_in_group(lang, ctx.bot_username, views.POINTS_LINK, "growth.btn_points")
    await message.reply(t(lang, "growth.points_in_private"), reply_markup=markup)


@routes.callback_query(GrowthCB.filter(F.action == "points"))
async def points_button(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    await query.answer()
    text, markup = await _points_screen(ctx, query.from_user.id, lang)
    await edit_or_answer(query, text, markup)  # type: ignore[arg-type]


@routes.callback_query(GrowthCB.filter(F.action == "remind"))
async def reminder_toggle(
    query: CallbackQuery, callback_data: GrowthCB, ctx: AppContext, lang: str, _: Translator
) -> None:
    enabled = callback_data.value == "on"
    await checkin.set_reminder(ctx.db, query.from_user.id, enabled)
    await query.answer(_("growth.remind_on_done" if enabled else "growth.remind_off_done", at=_reminder_at(ctx)))
    text, markup = await _points_screen(ctx, query.from_user.id, lang)
    await edit_or_answer(query, text, markup)  # type: ignore[arg-type]


@routes.callback_query(GrowthCB.filter(F.action == "shop"))
async def shop_button(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    await query.answer()
    offers = await coupons.points_shop(ctx.db)
    balance = await points.balance(ctx.db, query.from_user.id)
    text, markup = views.shop_view(lang, offers, balance, ctx.settings.shop.currency)
    await edit_or_answer(query, text, markup)


@routes.callback_query(GrowthCB.filter(F.action == "buy"))
async def shop_buy(query: CallbackQuery, callback_data: GrowthCB, ctx: AppContext, lang: str, _: Translator) -> None:
    # The purchase key is the tapped message and button: a double tap or a repeated update buys once.
    message_id = query.message.message_id if query.message else 0
    key = f"{message_id}:{callback_data.value}"
    coupon = await coupons.buy_with_points(ctx.db, query.from_user.id, callback_data.value, key)
    await query.answer(_("growth.shop_bought", code=coupon.code), show_alert=True)
    items = await coupons.my_coupons(ctx.db, query.from_user.id)
    text, markup = views.my_coupons_view(lang, items, ctx.settings.shop.currency)
    await edit_or_answer(query, text, markup)


@routes.message(Command("coupons"))
async def coupons_command(message: Message, ctx: AppContext, lang: str) -> None:
    if message.from_user is None:
        return
    items = await coupons.my_coupons(ctx.db, message.from_user.id)
    text, markup = views.my_coupons_view(lang, items, ctx.settings.shop.currency)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(GrowthCB.filter(F.action == "coupons"))
async def coupons_button(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    await query.answer()
    items = await coupons.my_coupons(ctx.db, query.from_user.id)
    text, markup = views.my_coupons_view(lang, items, ctx.settings.shop.currency)
    await edit_or_answer(query, text, markup)


@routes.callback_query(AdminMenuCB.filter(F.section == "coupons"))
async def admin_coupons(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    await access.require_role(ctx, query.from_user.id, "admin")
    await query.answer()
    items = await coupons.list_coupons(ctx.db, active_only=False)
    text, markup = views.admin_coupons_view(lang, items, ctx.settings.shop.currency)
    await edit_or_answer(query, text, markup)


@routes.message(Command("coupon_new"), F.chat.type == "private")
async def admin_coupon_new(message: Message, command: CommandObject, ctx: AppContext, _: Translator) -> None:
    if message.from_user is None:
        return
    await access.require_role(ctx, message.from_user.id, "admin")
    spec = parse_coupon(command.args or "", ctx.settings.shop.currency, ctx.settings.shop.timezone)
    created = await coupons.create_coupon(ctx.db, spec)
    await message.answer(_("growth.admin_created", code=created.code))


@routes.message(Command("coupon_off"), F.chat.type == "private")
async def admin_coupon_off(message: Message, command: CommandObject, ctx: AppContext, _: Translator) -> None:
    if message.from_user is None:
        return
    await access.require_role(ctx, message.from_user.id, "admin")
    code = (command.args or "").strip()
    done = await coupons.deactivate(ctx.db, code) if code else False
    await message.answer(_("growth.admin_disabled" if done else "errors.coupon_unknown", code=coupons.normalise(code)))


def setup() -> Router:
    return routes.build()
