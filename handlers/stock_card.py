"""A product's stock screen for admins (from /admin -> Stock, or `/stock SKU`): its stock, the Restock buttons
and its own low-stock alert threshold, set with a stepper (−5/−1/+1/+5, Save, Use shop default) or by typing a
number. Every tap re-checks the admin role; the store audits each change (who, before, after)."""

from __future__ import annotations

from types import EllipsisType

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import CallbackQuery, Message

from bot import stock_prompts, tap_guard
from bot.access import require_role
from bot.callbacks.ops import StockCB, ThresholdCB
from bot.context import AppContext
from bot.i18n import t, t_plain
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from bot.views import stock_card as views
from dialogues.checkout import AdminSG
from dialogues.ops import RESTOCK_PRODUCT, OpsSG
from store import stock_alerts, typed_numbers
from store.errors import DomainError

routes = Routes("stock_card")

# The typed prompts around stock screens: "SKU +5", a restock amount, a threshold. Other conversations (a checkout
# under way) are not this screen's to end.
_STOCK_TYPING = {AdminSG.stock.state, OpsSG.restock_amount.state, OpsSG.stock_threshold.state}


def _default(ctx: AppContext) -> int:
    return ctx.settings.ops.low_stock_threshold


async def _card(ctx: AppContext, product_id: int) -> stock_alerts.StockCard:
    card = await stock_alerts.stock_card(ctx.db, product_id)
    if card is None:
        raise DomainError("ops_product_gone")
    return card


def _message_id(query: CallbackQuery) -> int | None:
    return query.message.message_id if query.message is not None else None


async def _leave_typing(state: FSMContext, query: CallbackQuery) -> None:
    """A tap elsewhere on these screens ends a typed threshold (a later number is not taken for one), and the
    stepper's message, a stock screen again, takes no reply either."""
    await stock_prompts.forget(
        state, _message_id(query), stop_typing=await state.get_state() == OpsSG.stock_threshold.state
    )


@routes.callback_query(StockCB.filter(F.a == "card"))
async def open_card(
    query: CallbackQuery,
    callback_data: StockCB,
    ctx: AppContext,
    lang: str,
    state: FSMContext,
    fsm_storage: BaseStorage,
) -> None:
    if await tap_guard.repeated(ctx, query, fsm_storage):
        return  # a double tap: the first one redraws; a second identical edit would only be refused
    await require_role(ctx, query.from_user.id, "admin")
    card = await _card(ctx, callback_data.p)
    # Left the typed prompt for this screen: a later number is not taken for it.
    await stock_prompts.forget(state, _message_id(query), stop_typing=False)
    if await state.get_state() in _STOCK_TYPING:
        await state.set_state(None)
    await query.answer()
    text, markup = views.screen(lang, card, _default(ctx))
    await edit_or_answer(query, text, markup)


@routes.callback_query(StockCB.filter(F.a == views.INERT_ACTION))
async def inert_step(query: CallbackQuery, callback_data: StockCB, ctx: AppContext, lang: str) -> None:
    """A "·" where a step has nowhere to go: answered with why (every tap is answered), nothing changes."""
    await require_role(ctx, query.from_user.id, "admin")
    key = "stock_card.step_at_max" if callback_data.v else "stock_card.step_at_zero"
    await query.answer(t_plain(lang, key, max=stock_alerts.MAX_RESTOCK))


@routes.callback_query(StockCB.filter(F.a == "thr"))
async def stepper(
    query: CallbackQuery,
    callback_data: StockCB,
    ctx: AppContext,
    lang: str,
    state: FSMContext,
    fsm_storage: BaseStorage,
) -> None:
    if await tap_guard.repeated(ctx, query, fsm_storage):
        return  # a double tap: the first one redraws; a second identical edit would only be refused
    await require_role(ctx, query.from_user.id, "admin")
    if views.clamp(callback_data.v) != callback_data.v:
        raise DomainError("bad_button")  # no button of ours carries such a value
    card = await _card(ctx, callback_data.p)
    message_id = _message_id(query)
    if message_id is not None:
        await stock_prompts.remember(state, message_id, stock_prompts.THRESHOLD, card.product_id)
    else:  # an inline message: no reply can name it, the latest product is all there is
        await state.set_state(OpsSG.stock_threshold)
        await state.update_data({RESTOCK_PRODUCT: card.product_id})
    await query.answer()
    text, markup = views.stepper(lang, card, callback_data.v, _default(ctx))
    await edit_or_answer(query, text, markup)


async def _save(
    ctx: AppContext, user_id: int, product_id: int, value: int | None, shown: int | EllipsisType | None = ...
) -> tuple[bool, int]:
    """Saves the product's own threshold (None: the shop's default); (changed, the threshold now in force)."""
    await require_role(ctx, user_id, "admin")
    changed = await stock_alerts.set_threshold(
        ctx.db,
        product_id,
        value,
        actor_id=user_id,
        actor_role="admin",
        default_threshold=_default(ctx),
        shown=shown,
    )
    return changed, value if value is not None else _default(ctx)


def _outcome(sku: str, changed: bool, value: int | None, threshold: int) -> tuple[str, dict[str, object]]:
    """The text key and params that tell the admin what a save did."""
    if not changed:
        return "stock_card.unchanged_toast", {"sku": sku, "threshold": threshold}
    if value is None:
        return "stock_card.default_toast", {"sku": sku, "threshold": threshold}
    if threshold == 0:
        return "stock_card.saved_off_toast", {"sku": sku}
    return "stock_card.saved_toast", {"sku": sku, "threshold": threshold}


async def _redraw(query: CallbackQuery, ctx: AppContext, lang: str, product_id: int) -> None:
    card = await _card(ctx, product_id)
    text, markup = views.screen(lang, card, _default(ctx))
    await edit_or_answer(query, text, markup)


@routes.callback_query(ThresholdCB.filter())
async def save(
    query: CallbackQuery,
    callback_data: ThresholdCB,
    ctx: AppContext,
    lang: str,
    state: FSMContext,
    fsm_storage: BaseStorage,
) -> None:
    if await tap_guard.repeated(ctx, query, fsm_storage):
        return  # a double tap: the first one redraws; a second identical edit would only be refused
    value = callback_data.v if callback_data.a == "save" else None
    shown = None if callback_data.o == -1 else callback_data.o
    try:
        changed, threshold = await _save(ctx, query.from_user.id, callback_data.p, value, shown)
    except stock_alerts.ThresholdChanged as newer:
        # Someone (or another of this admin's screens) changed it after this editor was drawn: saving the old
        # editor's value would silently undo that.
        now = newer.threshold if newer.threshold is not None else _default(ctx)
        await query.answer(
            t_plain(lang, "stock_card.changed_alert", sku=newer.params["sku"], threshold=now), show_alert=True
        )
        await _leave_typing(state, query)
        await _redraw(query, ctx, lang, callback_data.p)
        return
    await _leave_typing(state, query)
    card = await _card(ctx, callback_data.p)
    key, params = _outcome(card.sku, changed, value, threshold)
    await query.answer(t_plain(lang, key, **params))
    text, markup = views.screen(lang, card, _default(ctx))
    await edit_or_answer(query, text, markup)


@routes.callback_query(StockCB.filter(F.a.in_({"save", "dflt"})))
async def old_save(query: CallbackQuery, callback_data: StockCB, ctx: AppContext, lang: str) -> None:
    """A Save drawn before it carried the value it replaces: it could overwrite a newer one, so it only opens
    the current screen."""
    await require_role(ctx, query.from_user.id, "admin")
    await query.answer(t_plain(lang, "stock_card.older_screen"), show_alert=True)
    await _redraw(query, ctx, lang, callback_data.p)


@routes.message(StateFilter(OpsSG.stock_threshold), Command("cancel"))
async def typed_cancel(message: Message, lang: str, state: FSMContext) -> None:
    await stock_prompts.forget_all(state)
    await message.answer(t(lang, "stock_card.cancelled"))


@routes.message(
    F.chat.type == "private", F.text, ~F.text.startswith("/"), stock_prompts.Answers(stock_prompts.THRESHOLD)
)
async def typed(message: Message, ctx: AppContext, lang: str, state: FSMContext, target: stock_prompts.Target) -> None:
    """A number typed at a threshold stepper: the one replied to, else the one opened last."""
    if message.from_user is None:
        return
    try:
        value = typed_numbers.read_whole(message.text or "")  # "1,000", "１０" as people type them
    except typed_numbers.NotANumber as refusal:
        reason = t(lang, f"errors.{refusal.code}", **refusal.params)  # what was wrong, then what to type
        await message.answer(reason + " " + t(lang, "stock_card.bad_number", max=stock_alerts.MAX_RESTOCK))
        return
    if value > stock_alerts.MAX_RESTOCK:
        await message.answer(t(lang, "stock_card.bad_number", max=stock_alerts.MAX_RESTOCK))
        return
    product_id = target.product_id
    changed, threshold = await _save(ctx, message.from_user.id, product_id, value)
    await stock_prompts.forget(state, target.prompt_id)
    card = await _card(ctx, product_id)
    text, markup = views.screen(lang, card, _default(ctx))
    key, params = _outcome(card.sku, changed, value, threshold)
    await message.answer(t(lang, key, **params) + "\n\n" + text, reply_markup=markup)


@routes.message(StateFilter(OpsSG.stock_threshold), ~F.text)
async def typed_not_text(message: Message, lang: str) -> None:
    await message.answer(t(lang, "stock_card.bad_number", max=stock_alerts.MAX_RESTOCK))


def setup() -> Router:
    return routes.build()
