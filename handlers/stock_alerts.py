"""Stock operations in chat: the Restock buttons under a low-stock alert (+10, +50, or a typed amount) and the
shopper's "Notify me" (and its "Cancel") on a sold-out card. Every restock tap re-checks the admin role and is
audited."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import CallbackQuery, Message

from bot import stock_prompts, tap_guard
from bot.access import require_role
from bot.callbacks.ops import WATCH_OFF, WATCH_ON, OldRestockCB, RestockCB, WatchCB
from bot.context import AppContext
from bot.i18n import t, t_plain
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer, is_not_modified
from bot.views import catalog as catalog_views
from bot.views import ops as views
from bot.views import stock_card as stock_views
from dialogues.ops import OpsSG
from store import catalog, stock_alerts, typed_numbers
from store.errors import DomainError

routes = Routes("stock_alerts")


async def _restock(
    ctx: AppContext, user_id: int, product_id: int, amount: int, seen: int | None = None
) -> stock_alerts.Restocked:
    await require_role(ctx, user_id, "admin")
    return await stock_alerts.restock(
        ctx.db,
        product_id,
        amount,
        actor_id=user_id,
        actor_role="admin",
        default_threshold=ctx.settings.ops.low_stock_threshold,
        seen=seen,
    )


async def _current_screen(query: CallbackQuery, ctx: AppContext, lang: str, product_id: int) -> None:
    """Redraws the tapped message as the product's stock screen now (buttons carrying its newest change)."""
    card = await stock_alerts.stock_card(ctx.db, product_id)
    if card is None:
        raise DomainError("ops_product_gone")
    text, markup = stock_views.screen(lang, card, ctx.settings.ops.low_stock_threshold)
    await edit_or_answer(query, text, markup)


@routes.callback_query(RestockCB.filter(F.a == "add"))
async def restock_add(
    query: CallbackQuery, callback_data: RestockCB, ctx: AppContext, lang: str, fsm_storage: BaseStorage
) -> None:
    if callback_data.n not in views.RESTOCK_STEPS:
        raise DomainError("bad_button")
    if await tap_guard.repeated(ctx, query, fsm_storage):
        return  # a double-click: the first tap adds
    try:
        done = await _restock(ctx, query.from_user.id, callback_data.p, callback_data.n, seen=callback_data.c)
    except stock_alerts.RestockRepeated as stale:
        # The stock changed since this screen was drawn: adding now could repeat what someone just did.
        await query.answer(
            t_plain(lang, "ops.restock_repeated", sku=stale.params["sku"], stock=stale.stock), show_alert=True
        )
        await _current_screen(query, ctx, lang, callback_data.p)
        return
    await query.answer(t_plain(lang, "ops.restocked_toast", sku=done.sku, stock=done.stock))
    text, markup = views.restocked(lang, done)
    await edit_or_answer(query, text, markup)


@routes.callback_query(OldRestockCB.filter())
async def restock_old_button(query: CallbackQuery, callback_data: OldRestockCB, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    await query.answer(t_plain(lang, "ops.restock_refreshed"), show_alert=True)
    await _current_screen(query, ctx, lang, callback_data.p)


@routes.callback_query(RestockCB.filter(F.a == "custom"))
async def restock_custom(
    query: CallbackQuery, callback_data: RestockCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    product = await catalog.get_product(ctx.db, callback_data.p)
    if product is None:
        raise DomainError("ops_product_gone")
    await query.answer()
    if query.bot is None:
        return
    prompt = await query.bot.send_message(
        query.from_user.id,
        t(lang, "ops.restock_prompt", title=product.title(lang), sku=product.sku, max=stock_alerts.MAX_RESTOCK),
    )
    # The prompt carries its product: the answer goes to it, whichever other prompts are open.
    await stock_prompts.remember(state, prompt.message_id, stock_prompts.RESTOCK, product.id)


@routes.message(StateFilter(OpsSG.restock_amount), Command("cancel"))
async def restock_cancel(message: Message, lang: str, state: FSMContext) -> None:
    await stock_prompts.forget_all(state)
    await message.answer(t(lang, "ops.restock_cancelled"))


@routes.message(F.chat.type == "private", F.text, ~F.text.startswith("/"), stock_prompts.Answers(stock_prompts.RESTOCK))
async def restock_typed(
    message: Message, ctx: AppContext, lang: str, state: FSMContext, target: stock_prompts.Target
) -> None:
    """A number typed at a restock prompt: the one replied to, else the latest one."""
    if message.from_user is None:
        return
    try:
        sign, amount = typed_numbers.read_signed(message.text or "")  # "1,000", "＋５" as people type them
    except typed_numbers.NotANumber as refusal:
        # What was wrong first, then what to type: the prompt stays open for another try.
        reason = t(lang, f"errors.{refusal.code}", **refusal.params)
        await message.answer(reason + " " + t(lang, "ops.restock_bad_number", max=stock_alerts.MAX_RESTOCK))
        return
    if sign == "-" or not 0 < amount <= stock_alerts.MAX_RESTOCK:
        await message.answer(t(lang, "ops.restock_bad_number", max=stock_alerts.MAX_RESTOCK))
        return
    await stock_prompts.forget(state, target.prompt_id)
    done = await _restock(ctx, message.from_user.id, target.product_id, amount)
    text, markup = views.restocked(lang, done)
    await message.answer(text, reply_markup=markup)


@routes.message(StateFilter(OpsSG.restock_amount), ~F.text)
async def restock_not_text(message: Message, lang: str) -> None:
    await message.answer(t(lang, "ops.restock_bad_number", max=stock_alerts.MAX_RESTOCK))


@routes.callback_query(WatchCB.filter())
async def notify_me(
    query: CallbackQuery, callback_data: WatchCB, ctx: AppContext, lang: str, fsm_storage: BaseStorage
) -> None:
    """ "Notify me" (on) and its "Cancel" (off) on a sold-out card. The button carries its intent and both store
    calls are idempotent, so a double tap or a re-delivered update never flips the state twice. In the private
    chat the button then shows the shopper's state; a group's message is everyone's, so it is never edited for one
    member (the tap still acts for the tapper, and the toast says so)."""
    if callback_data.a not in (WATCH_ON, WATCH_OFF):
        raise DomainError("bad_button")
    if await tap_guard.repeated(ctx, query, fsm_storage):
        return  # a double tap: the first one acts and redraws the button
    user_id, product_id = query.from_user.id, callback_data.p
    if callback_data.a == WATCH_OFF:
        await stock_alerts.unwatch(ctx.db, user_id, product_id)
        await query.answer(t_plain(lang, "notify_me.off_toast"))  # off either way: a repeat says the same
        watching = False
    else:
        outcome = await stock_alerts.watch(ctx.db, user_id, product_id)
        key = {
            stock_alerts.WATCHING: "ops.watching",
            stock_alerts.ALREADY: "ops.watching_already",
            stock_alerts.IN_STOCK: "ops.watch_in_stock",
        }[outcome]
        await query.answer(t_plain(lang, key), show_alert=outcome == stock_alerts.WATCHING)
        if outcome == stock_alerts.IN_STOCK:
            return
        watching = True
    message = query.message
    if not isinstance(message, Message) or message.chat.type != "private":
        return
    markup = catalog_views.with_notify_me(lang, message.reply_markup, product_id, watching=watching)
    if markup is None:
        return  # the card already shows it (a later tap of an older drawing)
    try:
        await message.edit_reply_markup(reply_markup=markup)
    except TelegramBadRequest as exc:
        if not is_not_modified(exc):  # a re-delivered update: the message already shows it
            raise


def setup() -> Router:
    return routes.build()
