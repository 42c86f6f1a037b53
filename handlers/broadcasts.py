"""/admin -> Broadcast: pick the audience (with its size), type the text, see the preview with the recipient
count, confirm by tap. Confirm is idempotent (store.broadcasts); the outbox paces delivery. The preview then
shows live progress (sent / failed / blocked) with Pause or Resume. Under every broadcast, shoppers have a
one-tap opt-out."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.access import require_role
from bot.admin_menu import AdminSection
from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.ops import BroadcastCB
from bot.context import AppContext
from bot.i18n import t, t_plain
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from bot.views import ops as views
from dialogues.ops import BROADCAST_AUDIENCE, OpsSG
from store import broadcasts
from store.errors import DomainError

routes = Routes("broadcasts")

ADMIN_SECTION = AdminSection("broadcast", "ops.section.broadcast", "admin", order=70)


@routes.callback_query(AdminMenuCB.filter(F.section == "broadcast"))
async def broadcast_section(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    counts = {a: await broadcasts.audience_size(ctx.db, a) for a in broadcasts.AUDIENCES}
    await query.answer()
    text, markup = views.broadcast_audiences(lang, counts)
    await edit_or_answer(query, text, markup)


@routes.callback_query(BroadcastCB.filter(F.a == "aud"))
async def audience_chosen(
    query: CallbackQuery, callback_data: BroadcastCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    if callback_data.v not in broadcasts.AUDIENCES:
        raise DomainError("bad_button")
    count = await broadcasts.audience_size(ctx.db, callback_data.v)
    await state.set_state(OpsSG.broadcast_text)
    await state.update_data({BROADCAST_AUDIENCE: callback_data.v})
    await query.answer()
    await edit_or_answer(query, t(lang, "ops_bc.prompt", count=count), None)


@routes.message(StateFilter(OpsSG.broadcast_text), Command("cancel"))
async def compose_cancel(message: Message, lang: str, state: FSMContext) -> None:
    await state.set_state(None)
    await message.answer(t(lang, "ops_bc.cancelled"))


@routes.message(StateFilter(OpsSG.broadcast_text), F.text, ~F.text.startswith("/"))
async def compose_text(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    if message.from_user is None:
        return
    await require_role(ctx, message.from_user.id, "admin")
    audience = str((await state.get_data()).get(BROADCAST_AUDIENCE) or "")
    draft = await broadcasts.create_draft(ctx.db, message.from_user.id, audience, message.text or "")
    await state.set_state(None)
    count = await broadcasts.audience_size(ctx.db, audience)
    text, markup = views.broadcast_preview(lang, draft, count)
    await message.answer(text, reply_markup=markup)


@routes.message(StateFilter(OpsSG.broadcast_text), ~F.text)
async def compose_not_text(message: Message, lang: str) -> None:
    await message.answer(t(lang, "errors.ops_broadcast_bad_text", max=broadcasts.MAX_TEXT))


@routes.callback_query(BroadcastCB.filter(F.a == "send"))
async def send(query: CallbackQuery, callback_data: BroadcastCB, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    # The preview becomes the live progress message (edited in place by store.broadcasts' progress events).
    message_id = query.message.message_id if query.message is not None else None
    count = await broadcasts.send(
        ctx.db,
        callback_data.d,
        query.from_user.id,
        ctx.settings.ops.broadcast_per_second,
        progress_message_id=message_id,
        progress_every=ctx.settings.ops.broadcast_progress_seconds,
    )
    await query.answer(t_plain(lang, "ops_bc.queued_toast", count=count))
    await _draw(query, ctx, lang, callback_data.d)


async def _draw(query: CallbackQuery, ctx: AppContext, lang: str, broadcast_id: int) -> None:
    now = await broadcasts.progress(ctx.db, broadcast_id)
    text, markup = views.broadcast_progress(lang, now)
    await edit_or_answer(query, text, markup)
    if query.message is not None:
        await broadcasts.after_tap(
            ctx.db, broadcast_id, query.message.message_id, now.fingerprint, ctx.settings.ops.broadcast_progress_seconds
        )


@routes.callback_query(BroadcastCB.filter(F.a == "pause"))
async def pause(query: CallbackQuery, callback_data: BroadcastCB, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    paused = await broadcasts.pause(ctx.db, callback_data.d, query.from_user.id)
    # A second tap (or a tap on a finished broadcast) changes nothing: it says so and redraws the truth.
    await query.answer(t_plain(lang, "ops_bc.paused_toast" if paused else "ops_bc.not_sending"))
    await _draw(query, ctx, lang, callback_data.d)


@routes.callback_query(BroadcastCB.filter(F.a == "resume"))
async def resume(query: CallbackQuery, callback_data: BroadcastCB, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    resumed = await broadcasts.resume(
        ctx.db, callback_data.d, query.from_user.id, ctx.settings.ops.broadcast_per_second
    )
    await query.answer(t_plain(lang, "ops_bc.resumed_toast" if resumed else "ops_bc.not_paused"))
    await _draw(query, ctx, lang, callback_data.d)


@routes.callback_query(BroadcastCB.filter(F.a == "cancel"))
async def cancel(query: CallbackQuery, callback_data: BroadcastCB, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    if not await broadcasts.cancel(ctx.db, callback_data.d):
        raise DomainError("ops_broadcast_already_sent")
    await query.answer()
    await edit_or_answer(query, t(lang, "ops_bc.cancelled"), None)


@routes.callback_query(BroadcastCB.filter(F.a == "optout"))
async def opt_out(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    changed = await broadcasts.opt_out(ctx.db, query.from_user.id)
    await query.answer(t_plain(lang, "ops_bc.opted_out" if changed else "ops_bc.already_out"), show_alert=changed)


def setup() -> Router:
    return routes.build()
