"""The leader's desk (/leader, private chat): open and past group buys, participants, amounts, commission,
the pickup list as CSV, extending, the maximum, the prices until the first join, closing and cancelling. Admins
manage every buy and grant the leader role.

Every tap re-checks the role and that the buy is the tapping leader's own (store.groupbuy refuses others)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import access, tap_guard
from bot.admin_menu import AdminSection
from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.groupbuy import LeaderCB, PriceEditCB
from bot.context import AppContext
from bot.groupbuy_cards import policy, refresher
from bot.i18n import t, t_plain
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from bot.views import groupbuy as views
from bot.views.errors import error_text
from dialogues import groupbuy_wizard as wizard
from store import groupbuy, order_queues, users
from store.catalog import ProductView
from store.errors import Conflict, DomainError
from store.groupbuy import GroupBuyView, Tier
from store.models import utcnow
from store.money import Money

routes = Routes("leader")
PRIVATE = F.chat.type == "private"

ADMIN_SECTION = AdminSection(key="gbl", label_key="groupbuy.admin.section", role="admin", order=40)


async def _is_admin(ctx: AppContext, user_id: int) -> bool:
    return "admin" in await access.roles(ctx, user_id)


async def _home(ctx: AppContext, lang: str, user_id: int) -> views.Screen:
    overview = await groupbuy.leader_overview(ctx.db, user_id)
    return views.leader_home(lang, overview, ctx.settings.shop.currency)


async def _detail(
    ctx: AppContext, lang: str, user_id: int, group_buy_id: int, notice: str | None = None
) -> views.Screen:
    line, people = await groupbuy.leader_detail(ctx.db, group_buy_id, user_id, await _is_admin(ctx, user_id))
    pickup = views.pickup_label(ctx.settings.shop.pickup_points, line.group_buy.pickup_point, lang)
    return views.leader_detail(
        lang,
        line,
        people,
        utcnow(),
        pickup,
        ctx.settings.shop.timezone,
        notice=notice,
        pickup_payment=ctx.settings.payments.pickup_payment_enabled,
    )


@routes.message(Command("leader"), PRIVATE)
async def leader_command(message: Message, ctx: AppContext, lang: str) -> None:
    if message.from_user is None:
        return
    await access.require_role(ctx, message.from_user.id, "leader")
    screen = await _home(ctx, lang, message.from_user.id)
    await message.answer(screen.text, reply_markup=screen.markup)


@routes.message(Command("leader"))
async def leader_in_group(message: Message, lang: str) -> None:
    await message.reply(t(lang, "groupbuy.leader.private_only"))


@routes.callback_query(LeaderCB.filter())
async def leader_tap(
    query: CallbackQuery, callback_data: LeaderCB, ctx: AppContext, lang: str, fsm_storage: BaseStorage
) -> None:
    uid = query.from_user.id
    await access.require_role(ctx, uid, "leader")
    action, gid = callback_data.a, callback_data.g
    admin = await _is_admin(ctx, uid)
    if action == "home":
        await query.answer()
        await _show(query, await _home(ctx, lang, uid))
    elif action == "view":
        await query.answer()
        await _show(query, await _detail(ctx, lang, uid, gid))
    elif action == "csv":
        points = {p.id: p.name.get(lang) for p in ctx.settings.shop.pickup_points}
        erased = t_plain(lang, "groupbuy.leader.erased_name")
        name, content = await groupbuy.pickup_csv(ctx.db, gid, uid, admin, points, erased_name=erased)
        caption = t(lang, views.csv_key(await groupbuy.get(ctx.db, gid), "groupbuy.leader.csv_caption"), id=gid)
        await query.answer()
        await ctx.bot.send_document(uid, BufferedInputFile(content, filename=name), caption=caption)
    elif action == "ext":
        if callback_data.v not in (24, 72):
            raise DomainError("bad_button")
        view = await groupbuy.manage_view(ctx.db, gid, uid, admin)
        if await _ended(query, ctx, lang, uid, view):
            return
        # A double tap extends once (each tap would add its hours): the repeat is answered as the first was.
        if await tap_guard.repeated(ctx, query, fsm_storage, _told(lang, "groupbuy.leader.extended", view.joined)):
            return
        later = max(view.deadline, utcnow()) + timedelta(hours=callback_data.v)
        try:
            view = await groupbuy.extend(ctx.db, gid, uid, admin, later, policy(ctx.settings))
        except DomainError as exc:
            await tap_guard.release(ctx, query, fsm_storage)  # refused: nothing was done, a repeat is refused too
            if _is_closed(exc):  # it ended meanwhile: the buy as it is now
                await _refused(query, ctx, lang, uid, gid, exc)
                return
            raise
        refresher(ctx).request(view.chat_id, view.id)
        refresher(ctx).request_panels(view.id)
        await query.answer(_told(lang, "groupbuy.leader.extended", view.joined))
        await _show(query, await _detail(ctx, lang, uid, gid))
    elif action == "max":
        if await _ended(query, ctx, lang, uid, await groupbuy.manage_view(ctx.db, gid, uid, admin)):
            return
        if await tap_guard.repeated(ctx, query, fsm_storage):
            return  # a double tap changes the maximum (and tells the participants) once
        maximum = callback_data.v or None  # 0: no maximum
        try:
            view = await groupbuy.set_maximum(ctx.db, gid, uid, admin, maximum)
        except Conflict as exc:
            if _is_closed(exc):  # it ended meanwhile: the buy as it is now
                await _refused(query, ctx, lang, uid, gid, exc)
                return
            if exc.code != "gb_max_unchanged":
                raise
            # Nothing changed: a toast, and no edit of a screen that already shows this maximum.
            await query.answer(_unchanged_max(lang, maximum))
            return
        refresher(ctx).request(view.chat_id, view.id)
        refresher(ctx).request_panels(view.id)
        await query.answer(_told(lang, "groupbuy.leader.changed", view.joined))
        await _show(query, await _detail(ctx, lang, uid, gid))
    elif action == "close":
        # Asks first: closing makes the orders at the price reached and cannot be undone.
        view = await groupbuy.manage_view(ctx.db, gid, uid, admin)
        if await _ended(query, ctx, lang, uid, view):
            return
        await query.answer()
        await _show(query, views.confirm_close(lang, view))
    elif action == "close_yes":
        # Minimum reached: the buy closes now, as at its deadline; the screen shows how it ended.
        repeat = not await tap_guard.first_tap(ctx, query, fsm_storage)  # a double tap: see _refused
        try:
            agreed = callback_data.v or None  # a Yes drawn before the price travelled with it: closes as before
            outcome = await groupbuy.close_early(ctx.db, gid, uid, admin, policy(ctx.settings), agreed_price=agreed)
        except Conflict as exc:
            if exc.code == "gb_price_moved":  # asked again with the buy as it is now
                await tap_guard.release(ctx, query, fsm_storage)
                await query.answer(t_plain(lang, "groupbuy.leader.close_price_moved"), show_alert=True)
                await _show(query, views.confirm_close(lang, await groupbuy.manage_view(ctx.db, gid, uid, admin)))
                return
            # Someone left, or it ended meanwhile: the question is gone, the buy as it is now says why.
            if not repeat:
                await tap_guard.release(ctx, query, fsm_storage)  # nothing was done: a later Yes is a tap of its own
            ended = (groupbuy.SUCCEEDED, "already_closed") if repeat else None
            await _refused(query, ctx, lang, uid, gid, exc, repeat=ended)
            return
        view = outcome.group_buy
        refresher(ctx).request(view.chat_id, view.id, ended=True)
        refresher(ctx).request_panels(view.id)
        await query.answer(t(lang, "groupbuy.leader.closed"))
        await _show(query, await _detail(ctx, lang, uid, gid))
    elif action == "cancel":
        view = await groupbuy.manage_view(ctx.db, gid, uid, admin)
        if await _ended(query, ctx, lang, uid, view):
            return  # never the question of cancelling a buy that already ended (e.g. succeeded)
        await query.answer()
        await _show(query, views.confirm_cancel(lang, view))
    elif action == "cancel_yes":
        repeat = not await tap_guard.first_tap(ctx, query, fsm_storage)
        try:
            view = await groupbuy.cancel(ctx.db, gid, uid, admin)
        except Conflict as exc:
            if not repeat:
                await tap_guard.release(ctx, query, fsm_storage)  # nothing was done: a later Yes is a tap of its own
            ended = (groupbuy.CANCELLED, "already_cancelled") if repeat else None
            await _refused(query, ctx, lang, uid, gid, exc, repeat=ended)
            return
        refresher(ctx).request(view.chat_id, view.id, ended=True)
        refresher(ctx).request_panels(view.id)
        await query.answer(t(lang, "groupbuy.leader.cancelled"))
        await _show(query, await _detail(ctx, lang, uid, gid))
    else:
        raise DomainError("bad_button")


def _is_closed(exc: DomainError) -> bool:
    return isinstance(exc, Conflict) and exc.code == "gb_closed"


async def _ended(query: CallbackQuery, ctx: AppContext, lang: str, user_id: int, view: GroupBuyView) -> bool:
    """A tap meant for an open buy, on a screen drawn before it ended: the alert says so and the screen is
    redrawn as the buy is now (how it ended, none of an open buy's buttons). Returns whether it had ended."""
    if view.is_open:
        return False
    await _refused(query, ctx, lang, user_id, view.id, Conflict("gb_closed"))
    return True


async def _refused(
    query: CallbackQuery,
    ctx: AppContext,
    lang: str,
    user_id: int,
    group_buy_id: int,
    exc: DomainError,
    *,
    repeat: tuple[str, str] | None = None,
) -> None:
    """A confirmed step the buy no longer allows: the reason as an alert and on the buy's screen, which
    replaces the question (a Yes left on screen would only be refused again).

    `repeat`, for the second tap of a double tap (bot/tap_guard.py): the status the first tap ends the buy in, and
    the toast saying so. The repeat went to the store too and waited there for the first; when the buy did end
    so, the repeat is answered calmly and the screen shows that outcome, never "already ended" over the success
    the first tap showed. (A buy its deadline closed meanwhile still gets the reason.)"""
    if repeat is not None:
        status, toast = repeat
        view = await groupbuy.manage_view(ctx.db, group_buy_id, user_id, await _is_admin(ctx, user_id))
        if view.status == status:
            await query.answer(t_plain(lang, f"groupbuy.leader.{toast}"))
            # Same drawing as the first tap's (an identical edit is dropped before it is sent).
            await _show(query, await _detail(ctx, lang, user_id, group_buy_id))
            return
    reason = error_text(lang, exc)
    await query.answer(t_plain(lang, f"errors.{exc.code}", **exc.params), show_alert=True)
    await _show(query, await _detail(ctx, lang, user_id, group_buy_id, notice=reason))


def _told(lang: str, key: str, joined: int) -> str:
    """What was saved, and that the people who joined were told (only when somebody has joined)."""
    said = t_plain(lang, key)
    return t_plain(lang, "groupbuy.leader.told", said=said, n=joined) if joined else said


def _unchanged_max(lang: str, maximum: int | None) -> str:
    if maximum is None:
        return t_plain(lang, "groupbuy.leader.max_unchanged_none")
    return t_plain(lang, "groupbuy.leader.max_unchanged", n=maximum)


async def _show(query: CallbackQuery, screen: views.Screen) -> None:
    await edit_or_answer(query, screen.text, screen.markup)


# ---------------------------------------------------------------------------------------------- prices
# A published buy's prices, until the first join: the set-up wizard's presets and tier editor (the same views
# and steps, with this buy's buttons), a preview of the new prices, then Save. What is being edited is kept
# in a conversation destiny of its own, so a set-up in progress in the same chat is left alone.

PRICE_EDIT_DESTINY = "gb_prices"


def _price_state(ctx: AppContext, user_id: int) -> FSMContext:
    key = StorageKey(bot_id=ctx.bot.id, chat_id=user_id, user_id=user_id, destiny=PRICE_EDIT_DESTINY)
    return FSMContext(storage=ctx.conversations, key=key)


async def _editable(ctx: AppContext, user_id: int, group_buy_id: int) -> GroupBuyView:
    """The buy, while its prices may still change (set_tiers checks again under the row lock)."""
    view = await groupbuy.manage_view(ctx.db, group_buy_id, user_id, await _is_admin(ctx, user_id))
    if not view.is_open:
        raise Conflict("gb_closed")
    if view.joined:
        raise groupbuy.TiersLocked()
    return view


def _at_buy_price(view: GroupBuyView) -> ProductView:
    """The product as the buy sells it: tiers are priced from the regular price frozen at publishing."""
    return replace(view.product, price=view.base_price)


async def _edited(state: FSMContext, group_buy_id: int, key: str) -> Any:
    data = await state.get_data()
    if data.get("g") != group_buy_id or not data.get(key):
        raise DomainError("stale_button")  # another buy's edit since, or one that was saved or abandoned
    return data[key]


@routes.callback_query(PriceEditCB.filter())
async def price_edit_tap(
    query: CallbackQuery, callback_data: PriceEditCB, ctx: AppContext, lang: str, fsm_storage: BaseStorage
) -> None:
    uid = query.from_user.id
    await access.require_role(ctx, uid, "leader")
    action, gid, value = callback_data.a, callback_data.g, callback_data.v
    if action == "nop":
        await query.answer(t(lang, "groupbuy.wizard.tier_hint"))
        return
    state = _price_state(ctx, uid)
    try:
        view = await _editable(ctx, uid, gid)
    except Conflict as exc:  # someone joined (or it ended) since this screen was drawn
        await state.clear()
        await _refused(query, ctx, lang, uid, gid, exc)
        return
    picker = views.price_edit_picker(gid)
    if action in ("open", "tps"):
        await state.set_data({"g": gid})
        presets = [groupbuy.tier_preset(view.base_price, i) for i in range(len(groupbuy.TIER_PRESETS))]
        await query.answer()
        await _show(query, views.tiers_prompt(lang, _at_buy_price(view), presets, picker))
    elif action == "tp":
        if not value.isdigit():
            raise DomainError("bad_button")
        await _preview(query, lang, state, view, groupbuy.tier_preset(view.base_price, int(value)))
    elif action == "ted":
        data = await state.get_data()
        steps = wizard.steps_from_data(data.get("steps")) if data.get("g") == gid else ()
        preset = int(value) if value.isdigit() else 0
        await _show_editor(query, lang, state, view, steps or groupbuy.tier_steps(preset), picker)
    elif action in ("tn", "td", "ta", "tr"):
        steps = wizard.steps_from_data(await _edited(state, gid, "steps"))
        changed = wizard.adjust(steps, action, value)
        if changed == steps:  # a repeated tap (or a tier that cannot be added): the screen shows this already
            await query.answer()
            return
        await _show_editor(query, lang, state, view, changed, picker)
    elif action == "tok":
        steps = wizard.steps_from_data(await _edited(state, gid, "steps"))
        await _preview(query, lang, state, view, groupbuy.tiers_from_steps(view.base_price, steps))
    elif action == "save":
        await _save_prices(query, ctx, lang, state, view, fsm_storage)
    else:
        raise DomainError("bad_button")


async def _show_editor(
    query: CallbackQuery,
    lang: str,
    state: FSMContext,
    view: GroupBuyView,
    steps: wizard.Steps,
    picker: views.TierPicker,
) -> None:
    """Checked before anything changes: a refused tap is answered with the reason, the screen stays."""
    tiers = groupbuy.tiers_from_steps(view.base_price, steps)
    await state.update_data(g=view.id, steps=[list(step) for step in steps])
    await query.answer()
    await _show(query, views.tier_editor(lang, _at_buy_price(view), steps, tiers, picker))


async def _preview(
    query: CallbackQuery, lang: str, state: FSMContext, view: GroupBuyView, tiers: Sequence[Tier]
) -> None:
    """The new prices as the card will show them; refused here already when publishing would refuse them."""
    groupbuy.check_setup(
        tiers,
        Money(view.base_price, view.currency),
        view.min_participants,
        view.max_participants,
        view.per_person_limit,
        view.product.stock,
    )
    await state.update_data(g=view.id, tiers=[[tier.min_participants, tier.unit_price] for tier in tiers])
    await query.answer()
    await _show(query, views.price_preview(lang, view, tiers))


async def _save_prices(
    query: CallbackQuery,
    ctx: AppContext,
    lang: str,
    state: FSMContext,
    view: GroupBuyView,
    fsm_storage: BaseStorage,
) -> None:
    if await tap_guard.repeated(ctx, query, fsm_storage):
        return  # a double tap saves once
    tiers = [Tier(int(n), int(p)) for n, p in await _edited(state, view.id, "tiers")]
    uid = query.from_user.id
    try:
        changed = await groupbuy.set_tiers(ctx.db, view.id, uid, await _is_admin(ctx, uid), tiers)
    except groupbuy.TiersLocked as exc:
        # Someone joined between the preview and Save: they joined at the old prices, which stay.
        await state.clear()
        await _refused(query, ctx, lang, uid, view.id, exc)
        return
    await state.clear()
    if changed.tiers == view.tiers:
        await query.answer(t(lang, "groupbuy.edit_prices.unchanged"))
    else:
        refresher(ctx).request(changed.chat_id, changed.id)  # the group card shows the new prices
        await query.answer(t(lang, "groupbuy.edit_prices.saved"))
    await _show(query, await _detail(ctx, lang, uid, view.id))


# ---------------------------------------------------------------------------------------------- admin


@routes.callback_query(AdminMenuCB.filter(F.section == "gbl"))
async def admin_section(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    await access.require_role(ctx, query.from_user.id, "admin")
    leaders = await order_queues.buyers(ctx.db, await users.users_with_role(ctx.db, "leader"))
    buys = await groupbuy.open_buys_of(ctx.db)
    await query.answer()
    # Back to the admin menu, as on the other sections (the view, shared with the group-buy screens, is text only).
    back = InlineKeyboardButton(text=t_plain(lang, "admin.back"), callback_data=AdminMenuCB(section="home").pack())
    await edit_or_answer(
        query, views.admin_section(lang, leaders, buys), InlineKeyboardMarkup(inline_keyboard=[[back]])
    )


@routes.message(Command("leader_grant", "leader_revoke"), PRIVATE)
async def admin_grant(message: Message, command: CommandObject, ctx: AppContext, lang: str) -> None:
    if message.from_user is None:
        return
    await access.require_role(ctx, message.from_user.id, "admin")
    arg = (command.args or "").strip()
    if not arg.lstrip("-").isdigit():
        await message.answer(t(lang, "groupbuy.admin.usage"))
        return
    user_id = int(arg)
    if command.command == "leader_grant":
        changed = await users.grant_role(ctx.db, user_id, "leader", granted_by=message.from_user.id)
        key = "groupbuy.admin.granted" if changed else "groupbuy.admin.had"
    else:
        changed = await users.revoke_role(ctx.db, user_id, "leader", revoked_by=message.from_user.id)
        key = "groupbuy.admin.revoked" if changed else "groupbuy.admin.had_not"
    await message.answer(t(lang, key, id=user_id))


def setup() -> Router:
    return routes.build()
