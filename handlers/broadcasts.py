"""/admin -> Broadcast: pick the audience (with its size), type the text or send a photo (its caption is the
text), optionally attach a product whose card a button under the message opens (picked from the latest
products or by typing part of its name), see the preview (the recipients' message exactly as sent, then the
recipient count), confirm by tap. Confirm is idempotent (store.broadcasts); the outbox paces delivery. The preview then
shows live progress (sent / failed / blocked) with Pause or Resume. Under every broadcast, shoppers have a
one-tap opt-out."""

from __future__ import annotations

import contextlib

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InaccessibleMessage, Message

from bot.access import require_role
from bot.admin_menu import AdminSection
from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.ops import BroadcastCB
from bot.context import AppContext
from bot.i18n import t, t_plain
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from bot.views import ops as views
from dialogues.ops import BROADCAST_AUDIENCE, BROADCAST_DRAFT, BROADCAST_SAMPLES, OpsSG
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


@routes.message(StateFilter(OpsSG.broadcast_text, OpsSG.broadcast_product), Command("cancel"))
async def compose_cancel(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    draft_id = (await state.get_data()).get(BROADCAST_DRAFT)
    if await state.get_state() == OpsSG.broadcast_product.state and draft_id:
        await broadcasts.cancel(ctx.db, int(draft_id))
    await state.set_state(None)
    await message.answer(t(lang, "ops_bc.cancelled"))


async def _show_preview(bot: Bot, chat_id: int, ctx: AppContext, lang: str, state: FSMContext, draft_id: int) -> None:
    """Send the preview: the recipients' message(s) as they will be sent, then the head with the count and the
    buttons. An earlier preview's samples of the same draft go: they showed another product."""
    draft = await broadcasts.draft(ctx.db, draft_id)
    samples: dict[str, list[int]] = dict((await state.get_data()).get(BROADCAST_SAMPLES) or {})
    for message_id in samples.pop(str(draft.id), []):
        with contextlib.suppress(TelegramBadRequest):
            await bot.delete_message(chat_id, message_id)
    count = await broadcasts.audience_size(ctx.db, draft.audience)
    preview = views.broadcast_preview(lang, draft, count, ctx.bot_username)
    shown: list[int] = []
    for sample in preview.samples:
        if sample.photo is not None:
            sent = await bot.send_photo(chat_id, sample.photo, caption=sample.text, reply_markup=sample.reply_markup)
        else:
            sent = await bot.send_message(chat_id, sample.text, reply_markup=sample.reply_markup)
        shown.append(sent.message_id)
    await bot.send_message(chat_id, preview.text, reply_markup=preview.markup)
    if shown:
        samples[str(draft.id)] = shown
    await state.update_data({BROADCAST_SAMPLES: samples})


async def _compose(message: Message, ctx: AppContext, lang: str, state: FSMContext, photo: str | None) -> None:
    if message.from_user is None or message.bot is None:
        return
    await require_role(ctx, message.from_user.id, "admin")
    audience = str((await state.get_data()).get(BROADCAST_AUDIENCE) or "")
    text = (message.caption if photo is not None else message.text) or ""
    draft = await broadcasts.create_draft(
        ctx.db, message.from_user.id, audience, text, photo=photo, max_caption=views.caption_room()
    )
    await state.set_state(None)
    await _show_preview(message.bot, message.chat.id, ctx, lang, state, draft.id)


@routes.message(StateFilter(OpsSG.broadcast_text), F.text, ~F.text.startswith("/"))
async def compose_text(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await _compose(message, ctx, lang, state, None)


@routes.message(StateFilter(OpsSG.broadcast_text), F.photo)
async def compose_photo(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    """A photo, with or without a caption: sent to everyone by its file_id (nothing is uploaded again)."""
    assert message.photo  # the filter
    await _compose(message, ctx, lang, state, message.photo[-1].file_id)


@routes.message(StateFilter(OpsSG.broadcast_text), ~F.text, ~F.photo)
async def compose_not_text(message: Message, lang: str) -> None:
    await message.answer(t(lang, "errors.ops_broadcast_bad_body"))


# ---------------------------------------------------------------------------------------------- product button


def _draft_id(callback_data: BroadcastCB) -> int:
    if callback_data.d <= 0:
        raise DomainError("bad_button")
    return callback_data.d


async def _replace_with_preview(
    query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext, draft_id: int
) -> None:
    """The tapped message (the picker, or the old preview's head) gives way to a fresh preview below."""
    await broadcasts.draft(ctx.db, draft_id)  # refused (with the reason) before anything on screen changes
    await query.answer()
    if query.bot is None:
        return
    message = query.message
    if message is not None and not isinstance(message, InaccessibleMessage):
        with contextlib.suppress(TelegramBadRequest):
            await message.delete()
    await _show_preview(query.bot, query.from_user.id, ctx, lang, state, draft_id)


@routes.callback_query(BroadcastCB.filter(F.a == "prod"))
async def product_menu(
    query: CallbackQuery, callback_data: BroadcastCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    draft = await broadcasts.draft(ctx.db, _draft_id(callback_data))
    await state.set_state(OpsSG.broadcast_product)
    await state.update_data({BROADCAST_DRAFT: draft.id})
    products = await broadcasts.product_choices(ctx.db)
    await query.answer()
    text, markup = views.product_picker(lang, draft.id, products)
    await edit_or_answer(query, text, markup)


@routes.message(StateFilter(OpsSG.broadcast_product), F.text, ~F.text.startswith("/"))
async def product_typed(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    """Part of a name (English or Chinese) or a SKU: the matches as buttons, one tap attaches one."""
    if message.from_user is None:
        return
    await require_role(ctx, message.from_user.id, "admin")
    draft_id = int((await state.get_data()).get(BROADCAST_DRAFT) or 0)
    typed = " ".join((message.text or "").split())[:64]
    products = await broadcasts.product_choices(ctx.db, typed)
    if not products:
        raise DomainError("ops_broadcast_no_product", query=typed)
    text, markup = views.product_picker(lang, draft_id, products, query=typed)
    await message.answer(text, reply_markup=markup)


@routes.message(StateFilter(OpsSG.broadcast_product), ~F.text)
async def product_not_text(message: Message, lang: str) -> None:
    await message.answer(t(lang, "errors.ops_broadcast_product_typed"))


@routes.callback_query(BroadcastCB.filter(F.a == "pp"))
async def product_picked(
    query: CallbackQuery, callback_data: BroadcastCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    if not callback_data.v.isdigit():
        raise DomainError("bad_button")
    draft = await broadcasts.attach_product(ctx.db, _draft_id(callback_data), int(callback_data.v))
    await _leave_picker(state)
    await _replace_with_preview(query, ctx, lang, state, draft.id)


@routes.callback_query(BroadcastCB.filter(F.a == "noprod"))
async def product_removed(
    query: CallbackQuery, callback_data: BroadcastCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    draft = await broadcasts.attach_product(ctx.db, _draft_id(callback_data), None)
    await _leave_picker(state)
    await _replace_with_preview(query, ctx, lang, state, draft.id)


@routes.callback_query(BroadcastCB.filter(F.a == "back"))
async def back_to_preview(
    query: CallbackQuery, callback_data: BroadcastCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    await _leave_picker(state)
    await _replace_with_preview(query, ctx, lang, state, _draft_id(callback_data))


async def _leave_picker(state: FSMContext) -> None:
    """Typed text is no longer a product search (it may be the admin's next command or question)."""
    if await state.get_state() == OpsSG.broadcast_product.state:
        await state.set_state(None)


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
