"""Group buys: a leader's /groupbuy in a group starts a wizard in private chat; the card in the group takes
Join / Leave taps (answered with toasts, the rest continues in private chat); participants pick quantity,
how to receive and pay there. The leader's desk (/leader) lives in handlers/leader.py, included here."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import CallbackQuery, Message, ReplyParameters

from bot import access, tap_guard
from bot import groupbuy_panels as panels
from bot.callbacks.groupbuy import DELIVERY_CHOICES, GroupBuyCB, WizardCB
from bot.chat_language import group_language
from bot.context import AppContext
from bot.deeplinks import start_link
from bot.groupbuy_cards import policy, post_card, refresher
from bot.i18n import t, t_plain
from bot.payments import send_order_invoice
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from bot.views import groupbuy as views
from bot.views.clock import zone_label
from dialogues import groupbuy_wizard as wizard
from dialogues.groupbuy_wizard import GroupBuyWizard, ParticipantContact
from store import catalog, groupbuy, orders, reachability, search
from store.catalog import ProductView
from store.errors import Conflict, DomainError, NotFound
from store.groupbuy import GroupBuyView, Tier
from store.models import utcnow

log = logging.getLogger(__name__)

routes = Routes("groupbuy")

GROUPS = {"group", "supergroup"}


def private_context(storage: BaseStorage, bot: Bot, user_id: int) -> FSMContext:
    """The FSM of the user's private chat, reachable from a group update (the wizard continues there)."""
    return FSMContext(storage=storage, key=StorageKey(bot_id=bot.id, chat_id=user_id, user_id=user_id))


WIZARD_SEARCH_RESULTS = 8


async def _remember_panel(
    ctx: AppContext, user_id: int, group_buy_id: int, message_id: int, lang: str, screen: views.Screen
) -> None:
    await panels.remember(ctx, user_id, group_buy_id, message_id, lang, screen)


async def _withdraw_panel(
    ctx: AppContext, lang: str, view: GroupBuyView, user_id: int, redrawn: int | None = None
) -> None:
    """Left from the group card: the private card must not go on saying "you are in" with quantity and delivery
    buttons, so it is redrawn as for someone who has not joined."""
    message_id = await panels.forget(ctx, user_id, view.id)
    if message_id is None or message_id == redrawn:
        return  # No panel, or left from that very card: already redrawn.
    screen = _private_screen(ctx, lang, view, None)
    # Deleted by the user, or too old to edit: nothing is left that could mislead.
    with panels.forget_quietly():
        await ctx.bot.edit_message_text(
            chat_id=user_id, message_id=int(message_id), text=screen.text, reply_markup=screen.markup
        )


def _private_screen(
    ctx: AppContext, lang: str, view: GroupBuyView, part: groupbuy.ParticipantView | None
) -> views.Screen:
    return panels.private_screen(ctx, lang, view, part)


async def _show_panel(
    query: CallbackQuery, ctx: AppContext, lang: str, view: GroupBuyView, part: groupbuy.ParticipantView | None
) -> None:
    """Draw the buy in the tapped private message; a participant's panel is remembered as the live one."""
    screen = _private_screen(ctx, lang, view, part)
    await _show(query, screen)
    if part is not None and isinstance(query.message, Message) and query.message.chat.type == "private":
        await _remember_panel(ctx, query.from_user.id, view.id, query.message.message_id, lang, screen)


# ---------------------------------------------------------------------------------------------- the wizard


@routes.message(Command("groupbuy"), F.chat.type.in_(GROUPS))
async def groupbuy_in_group(message: Message, ctx: AppContext, lang: str, fsm_storage: BaseStorage, bot: Bot) -> None:
    user = message.from_user
    if user is None:
        return
    running = await groupbuy.open_buys_in(ctx.db, message.chat.id)
    if not await access.has_role(ctx, user.id, "leader"):
        await _not_a_leader(message, lang, user.id, running)
        return
    state = private_context(fsm_storage, bot, user.id)
    await state.set_state(GroupBuyWizard.product)
    await state.set_data(
        {
            "chat_id": message.chat.id,
            "chat_title": message.chat.title or "",
            "thread_id": message.message_thread_id if message.is_topic_message else None,
            "leader_id": user.id,
        }
    )
    if not await reachability.may_write_privately(ctx.db, user.id):
        await _start_bot_hint(message, ctx, lang)
        return
    # A buy already running here: the leader is told which (and where it is managed) above the first question.
    screen = views.with_running(lang, await _product_screen(ctx, lang, user.id), running)
    try:
        sent = await bot.send_message(user.id, screen.text, reply_markup=screen.markup)
        await _supersede(bot, user.id, state, sent.message_id)
    except TelegramForbiddenError:
        await _start_bot_hint(message, ctx, lang)  # blocked since the read above
        return
    # The group sees the command answered: where the set-up went on, with the way there.
    opened = views.wizard_opened_hint(lang, ctx.bot_username)
    await message.reply(opened.text, reply_markup=opened.markup)


async def _not_a_leader(message: Message, lang: str, user_id: int, running: Sequence[GroupBuyView]) -> None:
    """Someone who is not a leader: where a buy runs they most likely want to join it (the hint replies to its
    card when it is in the same topic); else how to become a leader. In their language, short."""
    thread = message.message_thread_id if message.is_topic_message else None
    cards = [(view, view.card_message_id) for view in running if view.card_message_id is not None]
    if not cards:
        await message.reply(views.not_a_leader_hint(lang, user_id))
        return
    view, card_id = cards[0]
    replying = view.message_thread_id == thread
    text = views.running_here_hint(lang, view, replying=replying)
    if replying:
        await message.answer(
            text, reply_parameters=ReplyParameters(message_id=card_id, allow_sending_without_reply=True)
        )
    else:
        await message.reply(text)


async def _start_bot_hint(message: Message, ctx: AppContext, lang: str) -> None:
    # The leader never opened a private chat with the bot: one short hint in the group, with the way in.
    hint = views.start_bot_hint(lang, ctx.bot_username)
    await message.reply(hint.text, reply_markup=hint.markup)


@routes.message(Command("groupbuy"), F.chat.type == "private")
async def groupbuy_in_private(message: Message, lang: str) -> None:
    await message.answer(t(lang, "groupbuy.use_in_group"))


async def resume_wizard(message: Message, value: str, data: dict[str, Any]) -> None:
    lang: str = data["lang"]
    ctx: AppContext = data["ctx"]
    if message.from_user is None or message.bot is None:
        return
    state = _deeplink_state(data, ctx, message.bot, message.from_user.id)
    current = await state.get_state() if state is not None else None
    if state is None or current is None or not current.startswith(GroupBuyWizard.__full_group_name__):
        await message.answer(t(lang, "groupbuy.wizard.nothing"))
        return
    await _prompt(message, ctx, lang, state, current)


def _deeplink_state(data: dict[str, Any], ctx: AppContext, bot: Bot, user_id: int) -> FSMContext | None:
    """The private chat's FSM for a /start deep link: handlers/start.py may pass `state`; otherwise the storage
    remembered from the /groupbuy command that started the wizard."""
    state = data.get("state")
    if isinstance(state, FSMContext):
        return state
    return private_context(ctx.conversations, bot, user_id)


async def _prompt(message: Message, ctx: AppContext, lang: str, state: FSMContext, current: str) -> None:
    """Show the question of the step the leader is at (a new message: the old one is somewhere above)."""
    step = current.split(":", 1)[1]
    screen = await _screen(ctx, lang, step, await state.get_data())
    sent = await message.answer(screen.text, reply_markup=screen.markup)
    if message.bot is not None:
        await _supersede(message.bot, message.chat.id, state, sent.message_id)


def _deadline_presets(ctx: AppContext) -> list[tuple[str, groupbuy.DeadlineChoice]]:
    now = utcnow()
    zone = ctx.settings.shop.timezone
    return [(key, groupbuy.deadline_preset(key, now, zone)) for key in groupbuy.deadline_presets(now, zone)]


async def _screen(ctx: AppContext, lang: str, step: str, data: dict[str, Any]) -> views.Screen:
    if step == "product":
        leader = data.get("leader_id")
        return await _product_screen(ctx, lang, int(leader) if leader else None)
    if step == "pickup":
        return views.pickup_prompt(lang, ctx.settings.shop.pickup_points)
    if step == "counts":
        product, counts = await _counts(ctx, data)
        return views.counts_prompt(lang, product, counts, _tiers(data))
    if step == "confirm":
        return await _summary(ctx, lang, data)
    product = await groupbuy.product_for_wizard(ctx.db, product_id=int(data["product_id"]))
    if step == "tiers":
        presets = [groupbuy.tier_preset(product.price, i) for i in range(len(groupbuy.TIER_PRESETS))]
        return views.tiers_prompt(lang, product, presets)
    if step == "deadline":
        settings = ctx.settings
        return views.deadline_prompt(
            lang, settings.groupbuy.max_duration_days, _deadline_presets(ctx), utcnow(), settings.shop.timezone
        )
    raise DomainError("stale_button")  # a step this version no longer has (a set-up begun before an upgrade)


async def _supersede(bot: Bot, chat_id: int, state: FSMContext, prompt_id: int) -> None:
    """`prompt_id` is now the wizard's one live question: the previous question loses its buttons (one working
    Stop set-up, no answer to a question already answered)."""
    data = await state.get_data()
    old = data.get("prompt_id")
    await state.update_data(prompt_id=prompt_id, typed=False)
    if old and old != prompt_id:
        with contextlib.suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(chat_id=chat_id, message_id=int(old), reply_markup=None)


async def _typed(state: FSMContext) -> None:
    """The leader typed an answer: whatever comes next (the question, or an error) appears below it, so the
    next question must not be edited into the message above."""
    await state.update_data(typed=True)


async def _ask(target: Message | CallbackQuery, ctx: AppContext, lang: str, state: FSMContext, step: str) -> None:
    await state.set_state(getattr(GroupBuyWizard, step))
    data = await state.get_data()
    screen = await _screen(ctx, lang, step, data)
    if isinstance(target, CallbackQuery):
        await target.answer()
        message = target.message
        live = isinstance(message, Message) and message.message_id == data.get("prompt_id")
        if live and not data.get("typed"):
            # Tapped on the question at the bottom of the chat: the next question replaces it in place.
            await edit_or_answer(target, screen.text, screen.markup)
            return
        sent = await ctx.bot.send_message(target.from_user.id, screen.text, reply_markup=screen.markup)
        await _supersede(ctx.bot, target.from_user.id, state, sent.message_id)
    else:
        sent = await target.answer(screen.text, reply_markup=screen.markup)
        if target.bot is not None:
            await _supersede(target.bot, target.chat.id, state, sent.message_id)


def _tiers(data: dict[str, Any]) -> list[Tier]:
    return [Tier(int(n), int(p)) for n, p in data.get("tiers", [])]


def _deadline_choice(data: dict[str, Any]) -> groupbuy.DeadlineChoice:
    seconds = data.get("deadline_seconds")
    if seconds:
        return groupbuy.DeadlineChoice(duration=timedelta(seconds=int(seconds)))
    at = data.get("deadline")
    return groupbuy.DeadlineChoice(at=datetime.fromisoformat(at) if at else None)


async def _summary(ctx: AppContext, lang: str, data: dict[str, Any]) -> views.Screen:
    product = await groupbuy.product_for_wizard(ctx.db, product_id=int(data["product_id"]))
    pickup = views.pickup_label(ctx.settings.shop.pickup_points, data.get("pickup"), lang)
    return views.wizard_summary(
        lang,
        product,
        _tiers(data),
        int(data["minimum"]),
        data.get("maximum"),
        int(data["limit"]),
        _deadline_choice(data),
        utcnow(),
        pickup,
        ctx.settings.shop.timezone,
        str(data.get("chat_title", "")),
        pickup_changeable=bool(data.get("pickup_skipped")),
    )


PRIVATE = F.chat.type == "private"
# Commands typed during the wizard go to their own handlers (the wizard waits for the answer meanwhile).
ANSWER = F.text & ~F.text.startswith("/")


async def _choose_product(
    target: Message | CallbackQuery, ctx: AppContext, lang: str, state: FSMContext, product_id: int
) -> None:
    await state.update_data(product_id=product_id)
    await _ask(target, ctx, lang, state, "tiers")


@routes.message(GroupBuyWizard.product, PRIVATE, ANSWER)
async def wizard_product_text(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    """A name (or part of one) or a SKU: one match is chosen, several are offered as buttons; a misspelt name
    ("appels") is offered what the shop's search finds for it, as buttons (a guess is never chosen alone)."""
    await _typed(state)
    found = await groupbuy.find_products_for_wizard(ctx.db, message.text or "", digital=False)
    guessed = not found
    if guessed:
        found = await _search_products(ctx, message.text or "")
    if not found:
        raise DomainError("gb_product_not_found")
    if len(found) == 1 and not guessed:
        await _choose_product(message, ctx, lang, state, found[0].id)
        return
    screen = views.product_picker(lang, found, query=(message.text or "").strip()[:64])
    sent = await message.answer(screen.text, reply_markup=screen.markup)
    if message.bot is not None:
        await _supersede(message.bot, message.chat.id, state, sent.message_id)


async def _product_screen(ctx: AppContext, lang: str, leader_id: int | None) -> views.Screen:
    """The leader's recent products and the most stocked, then the shop's categories (when there is a choice)."""
    products = await groupbuy.candidate_products(ctx.db, leader_id=leader_id, digital=False)
    categories = await catalog.list_categories(ctx.db, physical_only=True)  # no group buys of digital goods
    return views.product_picker(lang, products, categories=categories if len(categories) > 1 else ())


@routes.callback_query(WizardCB.filter(F.a == "cat"), GroupBuyWizard.product)
async def wizard_category(
    query: CallbackQuery, callback_data: WizardCB, ctx: AppContext, lang: str, fsm_storage: BaseStorage
) -> None:
    """A category's products in place of the first list."""
    if await tap_guard.repeated(ctx, query, fsm_storage):
        return
    category = await catalog.get_category(ctx.db, int(callback_data.v)) if callback_data.v.isdigit() else None
    if category is None:
        raise DomainError("bad_button")
    products = await groupbuy.candidate_products(ctx.db, category_id=category.id, digital=False)
    await _show_page(query, views.product_picker(lang, products, category=category))


@routes.callback_query(WizardCB.filter(F.a == "cats"), GroupBuyWizard.product)
async def wizard_categories(
    query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext, fsm_storage: BaseStorage
) -> None:
    if await tap_guard.repeated(ctx, query, fsm_storage):
        return
    leader = (await state.get_data()).get("leader_id")
    await _show_page(query, await _product_screen(ctx, lang, int(leader) if leader else None))


async def _search_products(ctx: AppContext, text: str) -> list[ProductView]:
    """The shop's typo-tolerant search (what /search uses) for a name the plain match missed."""
    settings = ctx.settings
    try:
        results = await search.search_products(
            ctx.search,
            text[:64],
            page_size=WIZARD_SEARCH_RESULTS,
            currency=settings.shop.currency,
            # The change check completes before this search (a shopper's runs in the background): a leader who
            # just added the product would otherwise be told it does not exist. Set-ups are rare; the check is
            # one query of the rows changed since the last one.
            refresh_seconds=0,
        )
    except ValueError:  # nothing searchable in it (only punctuation, say)
        return []
    ids = [item.id for item in results.items] or [item.id for item in results.suggested]
    return await groupbuy.wizard_products(ctx.db, ids, digital=False)


@routes.callback_query(WizardCB.filter(F.a == "prod"), GroupBuyWizard.product)
async def wizard_pick_product(
    query: CallbackQuery, callback_data: WizardCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    if not callback_data.v.isdigit():
        raise DomainError("bad_button")
    product = await groupbuy.product_for_wizard(ctx.db, product_id=int(callback_data.v), digital=False)
    await _choose_product(query, ctx, lang, state, product.id)


@routes.message(GroupBuyWizard.tiers, PRIVATE, ANSWER)
async def wizard_tiers(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await _typed(state)
    data = await state.get_data()
    product = await groupbuy.product_for_wizard(ctx.db, product_id=int(data["product_id"]))
    tiers = groupbuy.parse_tiers(message.text or "", product.price, product.currency)
    await _to_counts(message, ctx, lang, state, tiers, product)


@routes.callback_query(WizardCB.filter(F.a == "tp"), GroupBuyWizard.tiers)
async def wizard_tier_preset(
    query: CallbackQuery, callback_data: WizardCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    if not callback_data.v.isdigit():
        raise DomainError("bad_button")
    data = await state.get_data()
    product = await groupbuy.product_for_wizard(ctx.db, product_id=int(data["product_id"]))
    tiers = groupbuy.tier_preset(product.price, int(callback_data.v))
    await _to_counts(query, ctx, lang, state, tiers, product)


async def _wizard_product(ctx: AppContext, state: FSMContext) -> tuple[ProductView, dict[str, Any]]:
    data = await state.get_data()
    return await groupbuy.product_for_wizard(ctx.db, product_id=int(data["product_id"])), data


async def _show_tier_editor(
    query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext, steps: wizard.Steps
) -> None:
    """The tiers after a tap, checked before anything changes: a refused tap is answered with the reason and the
    screen stays as it was."""
    product, _ = await _wizard_product(ctx, state)
    tiers = groupbuy.tiers_from_steps(product.price, steps)
    await state.update_data(tier_steps=[list(step) for step in steps])
    await query.answer()
    screen = views.tier_editor(lang, product, steps, tiers)
    await edit_or_answer(query, screen.text, screen.markup)


@routes.callback_query(WizardCB.filter(F.a == "ted"), GroupBuyWizard.tiers)
async def wizard_tier_editor(
    query: CallbackQuery, callback_data: WizardCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    """Open the editor on a preset (the first unless told), or on the tiers being edited."""
    data = await state.get_data()
    steps = wizard.steps_from_data(data.get("tier_steps"))
    if not steps:
        steps = groupbuy.tier_steps(int(callback_data.v) if callback_data.v.isdigit() else 0)
    await _show_tier_editor(query, ctx, lang, state, steps)


@routes.callback_query(WizardCB.filter(F.a.in_({"tn", "td", "ta", "tr"})), GroupBuyWizard.tiers)
async def wizard_tier_adjust(
    query: CallbackQuery, callback_data: WizardCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    steps = wizard.steps_from_data((await state.get_data()).get("tier_steps"))
    if not steps:
        raise DomainError("stale_button")
    await _show_tier_editor(query, ctx, lang, state, wizard.adjust(steps, callback_data.a, callback_data.v))


@routes.callback_query(WizardCB.filter(F.a == "tok"), GroupBuyWizard.tiers)
async def wizard_tier_use(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    product, data = await _wizard_product(ctx, state)
    steps = wizard.steps_from_data(data.get("tier_steps"))
    if not steps:
        raise DomainError("stale_button")
    tiers = groupbuy.tiers_from_steps(product.price, steps)
    await _to_counts(query, ctx, lang, state, tiers, product)


@routes.callback_query(WizardCB.filter(F.a == "tps"), GroupBuyWizard.tiers)
async def wizard_tier_presets(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await state.update_data(tier_steps=None)
    await _ask(query, ctx, lang, state, "tiers")


@routes.callback_query(WizardCB.filter(F.a == "nop"))
async def wizard_label(query: CallbackQuery, callback_data: WizardCB, lang: str) -> None:
    """A label on a keyboard (a tier's value, a count, a month's name, a weekday): tapping it explains the
    buttons."""
    hints = {
        "c": "groupbuy.wizard.calendar_hint",
        "n": "groupbuy.wizard.counts_hint",
        "b": "groupbuy.wizard.counts_bound_hint",
    }
    await query.answer(t(lang, hints.get(callback_data.v, "groupbuy.wizard.tier_hint")))


def _calendar(ctx: AppContext, lang: str, month: date | None) -> views.Screen:
    settings = ctx.settings
    now = utcnow()
    days = settings.groupbuy.max_duration_days
    first, last = wizard.deadline_days(now, settings.shop.timezone, days)
    shown = month or first.replace(day=1)
    if shown < first.replace(day=1):
        raise DomainError("gb_day_past")
    if shown > last:
        raise DomainError("gb_deadline_too_far", days=days)
    zone = zone_label(now, settings.shop.timezone)
    return views.deadline_calendar(lang, shown, first, last, zone, days)


@routes.callback_query(WizardCB.filter(F.a == "cal"), GroupBuyWizard.deadline)
async def wizard_calendar(query: CallbackQuery, callback_data: WizardCB, ctx: AppContext, lang: str) -> None:
    month = wizard.parse_month(callback_data.v) if callback_data.v else None
    await _show_page(query, _calendar(ctx, lang, month))


@routes.callback_query(WizardCB.filter(F.a == "day"), GroupBuyWizard.deadline)
async def wizard_day(query: CallbackQuery, callback_data: WizardCB, ctx: AppContext, lang: str) -> None:
    settings = ctx.settings
    now = utcnow()
    day = wizard.parse_day(callback_data.v)
    wizard.check_day(day, now, settings.shop.timezone, settings.groupbuy.max_duration_days)
    zone = zone_label(wizard.deadline_at(day, 12, settings.shop.timezone), settings.shop.timezone)
    hours = wizard.open_hours(day, now, settings.shop.timezone, settings.groupbuy.max_duration_days)
    await _show_page(query, views.deadline_hours(lang, day, zone, hours))


@routes.callback_query(WizardCB.filter(F.a == "hr"), GroupBuyWizard.deadline)
async def wizard_hour(
    query: CallbackQuery, callback_data: WizardCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    settings = ctx.settings
    day_text, _, hour_text = callback_data.v.partition(".")
    if not hour_text.isdigit():
        raise DomainError("bad_button")
    at = wizard.deadline_at(wizard.parse_day(day_text), int(hour_text), settings.shop.timezone)
    groupbuy.check_deadline(at, utcnow(), settings.groupbuy.max_duration_days)
    await state.update_data(deadline=at.isoformat(), deadline_seconds=None)
    await _after_deadline(query, ctx, lang, state)


@routes.callback_query(WizardCB.filter(F.a == "dlb"), GroupBuyWizard.deadline)
async def wizard_deadline_presets(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await _ask(query, ctx, lang, state, "deadline")


async def _show_page(query: CallbackQuery, screen: views.Screen) -> None:
    """A page of a step (the calendar, the hours) replaces the question it came from."""
    await query.answer()
    await edit_or_answer(query, screen.text, screen.markup)


@routes.callback_query(WizardCB.filter(F.a == "dl"), GroupBuyWizard.deadline)
async def wizard_deadline_button(
    query: CallbackQuery, callback_data: WizardCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    choice = groupbuy.deadline_preset(callback_data.v, utcnow(), ctx.settings.shop.timezone)
    await state.update_data(
        deadline=choice.at.isoformat() if choice.at else None,
        deadline_seconds=int(choice.duration.total_seconds()) if choice.duration else None,
    )
    await _after_deadline(query, ctx, lang, state)


# ---------------------------------------------------------------------------------------------- counts
# Minimum, maximum and per-person limit on one screen: defaults from the tiers and the stock, steppers that set
# values, one Continue; a typed "3 20 2" answers the whole screen.


async def _counts(ctx: AppContext, data: dict[str, Any]) -> tuple[ProductView, groupbuy.Counts]:
    product = await groupbuy.product_for_wizard(ctx.db, product_id=int(data["product_id"]))
    counts = groupbuy.counts_from_data(data) or groupbuy.default_counts(_tiers(data), product.stock)
    return product, counts


async def _to_counts(
    target: Message | CallbackQuery,
    ctx: AppContext,
    lang: str,
    state: FSMContext,
    tiers: Sequence[Tier],
    product: ProductView,
) -> None:
    """The tiers are chosen: the counts start from what they suggest (chosen again, suggested again)."""
    counts = groupbuy.default_counts(tiers, product.stock)
    await state.update_data(tiers=[[tier.min_participants, tier.unit_price] for tier in tiers], **counts.as_data())
    await _ask(target, ctx, lang, state, "counts")


@routes.callback_query(WizardCB.filter(F.a == "cn"), GroupBuyWizard.counts)
async def wizard_count_step(
    query: CallbackQuery,
    callback_data: WizardCB,
    ctx: AppContext,
    lang: str,
    state: FSMContext,
    fsm_storage: BaseStorage,
) -> None:
    """A stepper: the screen is redrawn in place with the value the button carries, once it fits the tiers and
    the stock (a refused tap is answered with the reason and nothing changes)."""
    field, _, value = callback_data.v.partition(".")
    data = await state.get_data()
    product, counts = await _counts(ctx, data)
    changed = groupbuy.set_counts_field(counts, field, value)
    if changed == counts:  # the same value again (a repeated tap): nothing to redraw
        await query.answer()
        return
    if groupbuy.counts_problem(_tiers(data), counts, product.stock) is None:
        # Counts that fit stay fitting (only a button from an older drawing could offer this); counts that do
        # not fit may be stepped freely, the screen saying what is still wrong.
        groupbuy.check_counts(_tiers(data), changed, product.stock)
    # Checked before the guard, which remembers only taps that act: a refused tap may be tried again at once.
    if await tap_guard.repeated(ctx, query, fsm_storage):
        return
    await state.update_data(**changed.as_data())
    await query.answer()
    screen = views.counts_prompt(lang, product, changed, _tiers(data))
    await edit_or_answer(query, screen.text, screen.markup)


@routes.callback_query(WizardCB.filter(F.a == "cok"), GroupBuyWizard.counts)
async def wizard_counts_done(
    query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext, fsm_storage: BaseStorage
) -> None:
    data = await state.get_data()
    product, counts = await _counts(ctx, data)
    groupbuy.check_counts(_tiers(data), counts, product.stock)  # the stock may have moved since the screen
    if await tap_guard.repeated(ctx, query, fsm_storage):  # after the check: a refused tap may be tried again
        return
    await state.update_data(**counts.as_data())
    await _ask(query, ctx, lang, state, "deadline")


@routes.callback_query(WizardCB.filter(F.a == "cpb"), GroupBuyWizard.counts)
async def wizard_counts_back(
    query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext, fsm_storage: BaseStorage
) -> None:
    if await tap_guard.repeated(ctx, query, fsm_storage):
        return
    await state.update_data(tier_steps=None)
    await _ask(query, ctx, lang, state, "tiers")


@routes.message(GroupBuyWizard.counts, PRIVATE, ANSWER)
async def wizard_counts_text(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await _typed(state)
    data = await state.get_data()
    product, counts = await _counts(ctx, data)
    typed = groupbuy.parse_counts(message.text or "", counts)
    groupbuy.check_counts(_tiers(data), typed, product.stock)
    await state.update_data(**typed.as_data())
    await _ask(message, ctx, lang, state, "deadline")


async def _after_deadline(target: Message | CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    """The pickup question only when there is a choice: with one point (or none) it is taken as the answer, and
    the preview offers «Change pickup» for another (none, or typed)."""
    points = ctx.settings.shop.pickup_points
    if len(points) > 1:
        await state.update_data(pickup_skipped=False)
        await _ask(target, ctx, lang, state, "pickup")
        return
    await state.update_data(pickup=points[0].id if points else None, pickup_skipped=True)
    await _ask(target, ctx, lang, state, "confirm")


@routes.callback_query(WizardCB.filter(F.a == "chp"), GroupBuyWizard.confirm)
async def wizard_change_pickup(
    query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext, fsm_storage: BaseStorage
) -> None:
    if await tap_guard.repeated(ctx, query, fsm_storage):
        return
    await state.update_data(pickup_skipped=False)
    await _ask(query, ctx, lang, state, "pickup")


@routes.callback_query(WizardCB.filter(F.a == "bk"))
async def wizard_back(
    query: CallbackQuery,
    callback_data: WizardCB,
    ctx: AppContext,
    lang: str,
    state: FSMContext,
    fsm_storage: BaseStorage,
) -> None:
    """«Back» on the deadline, pickup or preview step: the step before it is asked again, with what was chosen so
    far kept. Only the live question's Back acts (its step is the current one and it is the wizard's latest
    message): one from a screen the wizard left, or from a stopped, published or restarted set-up, would
    otherwise move whatever set-up runs now."""
    if await tap_guard.repeated(ctx, query, fsm_storage):
        return  # a double tap is one: the second is answered quietly, not told its (moved) screen is stale
    data = await state.get_data()
    back = wizard.previous_step(callback_data.v, pickup_skipped=bool(data.get("pickup_skipped")))
    current = await state.get_state()
    live = isinstance(query.message, Message) and query.message.message_id == data.get("prompt_id")
    if back is None or not live or current != getattr(GroupBuyWizard, callback_data.v).state:
        await wizard_stale(query, lang)
        return
    await _ask(query, ctx, lang, state, back)


@routes.message(GroupBuyWizard.deadline, PRIVATE, ANSWER)
async def wizard_deadline(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await _typed(state)
    settings = ctx.settings
    choice = groupbuy.parse_deadline_choice(
        message.text or "", utcnow(), settings.shop.timezone, settings.groupbuy.max_duration_days
    )
    # A duration is kept as a duration: the buy runs that long from Publish, however long the rest takes.
    await state.update_data(
        deadline=choice.at.isoformat() if choice.at else None,
        deadline_seconds=int(choice.duration.total_seconds()) if choice.duration else None,
    )
    await _after_deadline(message, ctx, lang, state)


@routes.message(GroupBuyWizard.pickup, PRIVATE, ANSWER)
async def wizard_pickup_text(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await _typed(state)
    await state.update_data(pickup=groupbuy.clean_pickup_text(message.text or ""))
    await _ask(message, ctx, lang, state, "confirm")


@routes.callback_query(WizardCB.filter(F.a == "pick"), GroupBuyWizard.pickup)
async def wizard_pickup_button(
    query: CallbackQuery, callback_data: WizardCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    known = {point.id for point in ctx.settings.shop.pickup_points}
    if callback_data.v != "-" and callback_data.v not in known:
        raise DomainError("bad_button")
    await state.update_data(pickup=None if callback_data.v == "-" else callback_data.v)
    await _ask(query, ctx, lang, state, "confirm")


# A refusal at Publish that one earlier step can fix: the step to ask again.
_STEP_TO_REDO = {"gb_deadline_passed": "deadline", "gb_units_above_stock": "counts", "gb_max_above_stock": "counts"}


@routes.callback_query(WizardCB.filter(F.a == "pub"), GroupBuyWizard.confirm)
async def wizard_publish(
    query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext, fsm_storage: BaseStorage
) -> None:
    if await tap_guard.repeated(ctx, query, fsm_storage):
        return  # a double tap publishes once
    await access.require_role(ctx, query.from_user.id, "leader")  # the role may have been revoked meanwhile
    data = await state.get_data()
    choice = _deadline_choice(data)
    spec = groupbuy.GroupBuySpec(
        chat_id=int(data["chat_id"]),
        product_id=int(data["product_id"]),
        tiers=tuple(_tiers(data)),
        min_participants=int(data["minimum"]),
        max_participants=data.get("maximum"),
        per_person_limit=int(data["limit"]),
        deadline=choice.at,
        duration=choice.duration,
        pickup_point=data.get("pickup"),
        message_thread_id=data.get("thread_id"),
        # The card is the group's: drawn in the group's language, not the leader's.
        lang=await group_language(ctx, int(data["chat_id"])),
    )
    try:
        view = await groupbuy.publish(ctx.db, query.from_user.id, spec, policy(ctx.settings))
    except DomainError as exc:
        step = _STEP_TO_REDO.get(exc.code)
        if step is None:
            raise
        # Something changed while the set-up was open (the time passed, stock sold elsewhere): say what, ask
        # that one question again, keep the rest.
        await query.answer(t_plain(lang, f"errors.{exc.code}", **exc.params), show_alert=True)
        if isinstance(query.message, Message):
            await _ask(query.message, ctx, lang, state, step)
        return
    await state.clear()
    try:
        await post_card(ctx, view)
    except (TelegramForbiddenError, TelegramBadRequest) as exc:
        # The bot cannot post there (removed from the group): nobody could join, so the buy is withdrawn.
        log.warning("group-buy card for %s refused: %s", view.chat_id, exc.message)
        await groupbuy.cancel(ctx.db, view.id, query.from_user.id, is_admin=True)
        raise DomainError("gb_cannot_post") from exc
    await query.answer(t(lang, "groupbuy.published_toast"))
    await edit_or_answer(query, t(lang, "groupbuy.published", id=view.id, title=view.title(lang)))


@routes.callback_query(WizardCB.filter(F.a == "stop"))
async def wizard_stop(query: CallbackQuery, lang: str, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    await edit_or_answer(query, t(lang, "groupbuy.wizard.stopped"))


@routes.callback_query(WizardCB.filter())
async def wizard_stale(query: CallbackQuery, lang: str) -> None:
    """A wizard button from an earlier step or an abandoned set-up."""
    await query.answer(t(lang, "errors.stale_button"), show_alert=True)


@routes.message(StateFilter(GroupBuyWizard), PRIVATE, ~F.text.startswith("/"))
async def wizard_needs_text(message: Message, lang: str, state: FSMContext) -> None:
    """What a step cannot take (a sticker, a photo), or anything sent at the preview, which is answered with its
    buttons only: that one is told which buttons (a typed "1h" there is text, so "answer with text" is wrong)."""
    if await state.get_state() == GroupBuyWizard.confirm.state:
        changeable = bool((await state.get_data()).get("pickup_skipped"))
        await message.answer(views.summary_buttons_hint(lang, pickup_changeable=changeable))
        return
    await message.answer(t(lang, "groupbuy.wizard.text_please"))


# ---------------------------------------------------------------------------------------------- participants


async def _answer_join(query: CallbackQuery, ctx: AppContext, lang: str, result: groupbuy.JoinResult) -> None:
    view = result.group_buy
    in_group = query.message is not None and query.message.chat.type in GROUPS
    if result.status in ("full", "closed", "sold_out"):
        await query.answer(t(lang, f"groupbuy.join.{result.status}"), show_alert=not in_group)
        return
    if result.status == "already" and in_group:
        await query.answer(t(lang, "groupbuy.join.already"))
        return
    # This join took the last place (join_tap): the joiner hears of the order the buy made them, as every other
    # participant does, never of quantity and delivery choices that no longer exist. A buy still closing (too big
    # to close within the tap) has no panel for them yet: their order follows as the notice.
    filled = result.status == "joined" and (view.full or not view.is_open)
    part = None if filled and view.is_open else result.participant
    if not in_group:
        toast = _filled(lang, result, "here") if filled else t(lang, f"groupbuy.join.{result.status}_private")
        await query.answer(toast)
        await _show_panel(query, ctx, lang, view, part)
        return
    # Joined from the group: the rest continues in private chat.
    url = start_link(ctx.bot_username, views.DEEPLINK_PREFIX, str(view.id))
    waits = _filled(lang, result, "open") if filled else t(lang, "groupbuy.join.joined_open_bot")
    if not await reachability.may_write_privately(ctx.db, query.from_user.id):
        # Never opened the bot: the toast opens the private chat on this buy instead, and the panel waits for it.
        await _panel_waits(query, ctx, view.id, url, waits)
        return
    if part is None:
        await query.answer(_filled(lang, result, "sent"))
        return
    screen = _private_screen(ctx, lang, view, part)
    attempted_at = utcnow()
    try:
        sent = await ctx.bot.send_message(query.from_user.id, screen.text, reply_markup=screen.markup)
    except TelegramForbiddenError:
        # Never started (a row from before the rule) or blocked meanwhile: remembered, so nothing else tries.
        await reachability.refused(ctx.db, query.from_user.id, attempted_at)
        await _panel_waits(query, ctx, view.id, url, waits)
        return
    except (TelegramBadRequest, TelegramRetryAfter) as exc:
        # No chat with the bot ("chat not found"), or a storm: the same way in.
        log.info("group-buy panel for %s not sent: %s", query.from_user.id, exc.message)
        await _panel_waits(query, ctx, view.id, url, waits)
        return
    await _remember_panel(ctx, query.from_user.id, view.id, sent.message_id, lang, screen)
    await query.answer(_filled(lang, result, "sent") if filled else t(lang, "groupbuy.join.joined"))


def _filled(lang: str, result: groupbuy.JoinResult, where: str) -> str:
    return views.filled_toast(lang, result.group_buy, result.participant, where)


async def _panel_waits(query: CallbackQuery, ctx: AppContext, group_buy_id: int, url: str, toast: str) -> None:
    """Joined, but the panel could not be sent: it is kept in the database for the shopper's /start (a restart
    meanwhile does not lose it), and the toast opens the private chat on this buy."""
    await groupbuy.panel_unsent(ctx.db, group_buy_id, query.from_user.id)
    await query.answer(toast, url=url)


async def deliver_unsent_panels(message: Message, data: dict[str, Any]) -> None:
    """After /start in private chat: the panels of the buys joined from a group while the bot could not write to
    the shopper, each once (the deep link's own buy was shown by `open_group_buy` already). A buy that ended
    meanwhile is skipped: its outcome reaches the shopper as a notification."""
    ctx: AppContext = data["ctx"]
    lang: str = data["lang"]
    if message.from_user is None:
        return
    user_id = message.from_user.id
    for group_buy_id in await groupbuy.claim_unsent_panels(ctx.db, user_id):
        try:
            view = await groupbuy.get(ctx.db, group_buy_id)
        except DomainError:
            continue
        part = await groupbuy.participant(ctx.db, group_buy_id, user_id)
        if not view.is_open or part is None:
            continue
        screen = _private_screen(ctx, lang, view, part)
        sent = await message.answer(screen.text, reply_markup=screen.markup)
        await _remember_panel(ctx, user_id, view.id, sent.message_id, lang, screen)


async def _show(query: CallbackQuery, screen: views.Screen) -> None:
    await edit_or_answer(query, screen.text, screen.markup)


@routes.callback_query(GroupBuyCB.filter(F.a == "j"))
async def join_tap(query: CallbackQuery, callback_data: GroupBuyCB, ctx: AppContext, lang: str) -> None:
    result = await groupbuy.join(ctx.db, callback_data.g, query.from_user.id)
    if result.status == "joined":
        # The card follows every join; the panels only a new price or the goal reached (count_changed).
        refresher(ctx).count_changed(result.group_buy, result.group_buy.joined - 1)
        if result.group_buy.full:
            result = await _close_full(ctx, result, query.from_user.id)
    await _answer_join(query, ctx, lang, result)


# Closing makes an order per participant (about 15 ms each on SQLite): up to this many the tap closes the buy and
# is answered within about 1.5 s; a bigger one is left to its deadline event, which the join moved to now.
CLOSE_IN_TAP_MAX = 100


async def _close_full(ctx: AppContext, result: groupbuy.JoinResult, user_id: int) -> groupbuy.JoinResult:
    """This join took the last place: the buy closes now rather than moments later by its deadline event, so the
    joiner is answered with the buy as it ended and the order it made them (the event would close it behind the
    answer, leaving them told to choose what can no longer change). Whoever closes it redraws card and panels."""
    if result.group_buy.joined > CLOSE_IN_TAP_MAX:
        return result  # still open and full: answered as closing (_answer_join)
    outcome = await groupbuy.close_full(ctx.db, result.group_buy.id, policy(ctx.settings))
    view = outcome.group_buy
    if outcome.status != "noop":
        refresher(ctx).request(view.chat_id, view.id, ended=True)
        refresher(ctx).request_panels(view.id)
    if view.is_open:
        return result  # someone left meanwhile: still open, answered as any join
    # Closed by this call or, a moment earlier, by the event: the participant as they are now, with their order.
    part = await groupbuy.participant(ctx.db, view.id, user_id)
    return groupbuy.JoinResult(result.status, view, part)


@routes.callback_query(GroupBuyCB.filter(F.a == "l"))
async def leave_tap(
    query: CallbackQuery, callback_data: GroupBuyCB, ctx: AppContext, lang: str, fsm_storage: BaseStorage
) -> None:
    in_group = query.message is not None and query.message.chat.type in GROUPS
    try:
        view = await groupbuy.leave(ctx.db, callback_data.g, query.from_user.id)
    except Conflict as exc:
        if exc.code != "gb_not_joined":
            raise
        await query.answer(t(lang, "errors.gb_not_joined"))
        return
    await _drop_contact_prompt(private_context(fsm_storage, ctx.bot, query.from_user.id), view.id)
    refresher(ctx).count_changed(view, view.joined + 1)
    await query.answer(t(lang, "groupbuy.left_toast"))
    redrawn = None
    if not in_group:
        await _show(query, _private_screen(ctx, lang, view, None))
        redrawn = query.message.message_id if query.message is not None else None
    await _withdraw_panel(ctx, lang, view, query.from_user.id, redrawn)


@routes.callback_query(GroupBuyCB.filter(F.a == "q"))
async def quantity_tap(query: CallbackQuery, callback_data: GroupBuyCB, ctx: AppContext, lang: str) -> None:
    part = await groupbuy.set_quantity(ctx.db, callback_data.g, query.from_user.id, callback_data.v)
    view = await groupbuy.get(ctx.db, callback_data.g)
    refresher(ctx).request(view.chat_id, view.id)  # the units left may have run out (or come back)
    await query.answer(t(lang, "groupbuy.qty_toast", qty=part.quantity))
    await _show_panel(query, ctx, lang, view, part)


@routes.callback_query(GroupBuyCB.filter(F.a == "s"))
async def panel_tap(
    query: CallbackQuery, callback_data: GroupBuyCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    """The panel drawn again in the tapped message: the quantity label, and the delivery-details prompt's Back."""
    view = await groupbuy.get(ctx.db, callback_data.g)
    part = await groupbuy.participant(ctx.db, callback_data.g, query.from_user.id)
    await _drop_contact_prompt(state, view.id)
    await query.answer()
    await _show_panel(query, ctx, lang, view, part)


async def _drop_contact_prompt(state: FSMContext, group_buy_id: int) -> None:
    """The delivery-details prompt of this buy was left another way (its Back, another choice, Leave): what is
    typed next is no longer read as delivery details."""
    if await state.get_state() != ParticipantContact.contact.state:
        return
    if int((await state.get_data()).get("gb_id", 0)) == group_buy_id:
        await state.clear()


async def _close_prompt(ctx: AppContext, chat_id: int, data: dict[str, Any]) -> None:
    """The delivery-details prompt is answered or stopped: its Back goes (the panel is sent below it)."""
    prompt = data.get("prompt_id")
    if prompt:
        with panels.forget_quietly():  # deleted meanwhile: nothing is left to tap
            await ctx.bot.edit_message_reply_markup(chat_id=chat_id, message_id=int(prompt), reply_markup=None)


@routes.callback_query(GroupBuyCB.filter(F.a == "d"))
async def delivery_tap(
    query: CallbackQuery, callback_data: GroupBuyCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    method = DELIVERY_CHOICES.get(callback_data.v)
    if method is None:
        raise DomainError("bad_button")
    rules = policy(ctx.settings)
    try:
        part = await groupbuy.set_delivery(ctx.db, callback_data.g, query.from_user.id, method, None, rules)
    except DomainError as exc:
        if exc.code != "gb_contact_needed":
            raise
        # The details are asked for in the panel's place, with what delivery adds and a Back to the panel.
        view = await groupbuy.get(ctx.db, callback_data.g)
        asking = await groupbuy.participant(ctx.db, view.id, query.from_user.id)
        # What delivery adds for this participant: their tier may give free delivery (ParticipantView).
        rule = rules.delivery.for_member(asking.member_free_over if asking else None)
        screen = views.contact_prompt(lang, view, asking.quantity if asking else 1, rule)
        await state.set_state(ParticipantContact.contact)
        await state.update_data(gb_id=callback_data.g, prompt_id=None)
        await query.answer()
        shown = await edit_or_answer(query, screen.text, screen.markup)
        if shown is not None:
            await state.update_data(prompt_id=shown.message_id)
        return
    await _drop_contact_prompt(state, callback_data.g)  # chosen by a button after all
    view = await groupbuy.get(ctx.db, callback_data.g)
    await query.answer(views.receive_saved(lang, view, part, rules.delivery))
    await _show_panel(query, ctx, lang, view, part)


@routes.message(ParticipantContact.contact, PRIVATE, ANSWER)
async def contact_text(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    data = await state.get_data()
    group_buy_id = int(data.get("gb_id", 0))
    contact = groupbuy.parse_contact(message.text or "", ctx.settings.shop.phone_region)
    try:
        part = await groupbuy.set_delivery(
            ctx.db, group_buy_id, message.from_user.id if message.from_user else 0, "delivery", contact
        )
    except (Conflict, NotFound):
        # Ended, or left, meanwhile: said once; what is typed next is not read as details again.
        await state.clear()
        raise
    await state.clear()
    await _close_prompt(ctx, message.chat.id, data)
    view = await groupbuy.get(ctx.db, group_buy_id)
    screen = _private_screen(ctx, lang, view, part)
    sent = await message.answer(screen.text, reply_markup=screen.markup)
    await _remember_panel(ctx, part.user_id, view.id, sent.message_id, lang, screen)


@routes.message(Command("cancel"), ParticipantContact.contact, PRIVATE)
async def contact_cancel(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    """/cancel at the delivery-details prompt: nothing changes, and the participant gets their panel back with
    its buttons, below their /cancel (the prompt above loses its Back). Before handlers/dialogue_cancel.py."""
    data = await state.get_data()
    await state.clear()
    await _close_prompt(ctx, message.chat.id, data)
    user_id = message.from_user.id if message.from_user else message.chat.id
    try:
        view = await groupbuy.get(ctx.db, int(data.get("gb_id", 0)))
    except DomainError:
        await message.answer(t(lang, "dialogue.cancelled"))
        return
    part = await groupbuy.participant(ctx.db, view.id, user_id)
    screen = views.contact_kept(lang, _private_screen(ctx, lang, view, part))
    sent = await message.answer(screen.text, reply_markup=screen.markup)
    if part is not None:
        await _remember_panel(ctx, user_id, view.id, sent.message_id, lang, screen)


@routes.callback_query(GroupBuyCB.filter(F.a == "p"))
async def pay_tap(
    query: CallbackQuery, callback_data: GroupBuyCB, ctx: AppContext, lang: str, fsm_storage: BaseStorage
) -> None:
    if await tap_guard.repeated(ctx, query, fsm_storage, t_plain(lang, "taps.invoice_sent")):
        return  # a double-click asks for one invoice
    # Ownership: another user's order id is "not found" (callback data is never trusted).
    order = await orders.get_order(ctx.db, callback_data.v, user_id=query.from_user.id)
    if order.source != groupbuy.SOURCE or order.source_ref != callback_data.g:
        await query.answer(t(lang, "groupbuy.not_payable"), show_alert=True)  # not this buy's order
        return
    if order.status in orders.PAID_STATUSES:
        # Paid meanwhile (from the invoice, or another copy of this button): said as the order screens say it,
        # and the stale Pay is taken off this message.
        await query.answer(t_plain(lang, "orders.already_paid_toast", order_id=order.id))
        await _drop_keyboard(query)
        return
    if not order.payable:
        await query.answer(t(lang, "groupbuy.not_payable"), show_alert=True)
        await _drop_keyboard(query)  # expired or cancelled: the Pay can only be refused again
        return
    await query.answer()
    await send_order_invoice(ctx, query.from_user.id, order, lang)


async def _drop_keyboard(query: CallbackQuery) -> None:
    message = query.message
    if isinstance(message, Message) and message.reply_markup is not None:
        with panels.forget_quietly():  # deleted or too old meanwhile: nothing is left to tap
            await message.edit_reply_markup(reply_markup=None)


@routes.callback_query(GroupBuyCB.filter())
async def unknown_tap(query: CallbackQuery, lang: str) -> None:
    await query.answer(t(lang, "errors.bad_button"), show_alert=True)


async def open_group_buy(message: Message, value: str, data: dict[str, Any]) -> None:
    """`start=g_<id>`: the buy in private chat (Share button, or a Join from someone new to the bot)."""
    ctx: AppContext = data["ctx"]
    lang: str = data["lang"]
    if not value.isdigit() or message.from_user is None:
        await message.answer(t(lang, "start.bad_link"))
        return
    try:
        view = await groupbuy.get(ctx.db, int(value))
    except DomainError:
        await message.answer(t(lang, "start.bad_link"))
        return
    part = await groupbuy.participant(ctx.db, view.id, message.from_user.id)
    screen = _private_screen(ctx, lang, view, part)
    with contextlib.suppress(TelegramBadRequest):
        sent = await message.answer(screen.text, reply_markup=screen.markup)
        if part is not None:
            await _remember_panel(ctx, part.user_id, view.id, sent.message_id, lang, screen)
            # This is the panel that waited (the join toast's link): deliver_unsent_panels must not send it again.
            await groupbuy.claim_unsent_panels(ctx.db, part.user_id, view.id)


def setup() -> Router:
    return routes.build()
