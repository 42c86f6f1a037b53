"""/admin -> Broadcast: pick the audience (with its size), type the text or send a photo (its caption is the
text), optionally attach a product whose card a button under the message opens (picked from the latest
products or by typing part of its name), see the preview (the recipients' message, text or photo, with its
caption and buttons exactly as sent, in either language; under a labelled row naming the recipient count, the
admin's own buttons), confirm by tap.
Confirm is idempotent (store.broadcasts); the outbox paces delivery. A text preview then shows live progress
(sent / failed / blocked) with Pause or Resume; under a photo preview the progress is a new message. Under
every broadcast, shoppers have a one-tap opt-out; once tapped, "Receive offers again" takes its place (and
/subscribe brings announcements back too)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.access import require_role
from bot.admin_menu import AdminSection
from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.ops import BroadcastCB, DraftCB
from bot.context import AppContext
from bot.i18n import LANGUAGES, t, t_plain
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer, is_not_modified
from bot.views import ops as views
from dialogues.ops import BROADCAST_AUDIENCE, BROADCAST_DRAFT, BROADCAST_PICKERS, BROADCAST_PREVIEW, OpsSG
from store import broadcasts
from store.errors import Conflict, DomainError

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


async def _preview(ctx: AppContext, lang: str, draft_id: int, shown: str | None = None) -> views.Preview:
    draft = await broadcasts.draft(ctx.db, draft_id)
    count = await broadcasts.audience_size(ctx.db, draft.audience)
    return views.broadcast_preview(lang, draft, count, ctx.bot_username, shown)


async def _compose(message: Message, ctx: AppContext, lang: str, state: FSMContext, photo: str | None) -> None:
    if message.from_user is None:
        return
    await require_role(ctx, message.from_user.id, "admin")
    audience = str((await state.get_data()).get(BROADCAST_AUDIENCE) or "")
    text = (message.caption if photo is not None else message.text) or ""
    draft = await broadcasts.create_draft(
        ctx.db, message.from_user.id, audience, text, photo=photo, max_caption=views.caption_room()
    )
    await state.set_state(None)
    preview = await _preview(ctx, lang, draft.id)
    if preview.photo is not None:
        shown = await message.answer_photo(preview.photo, caption=preview.text, reply_markup=preview.markup)
    else:
        shown = await message.answer(preview.text, reply_markup=preview.markup)
    await state.update_data({BROADCAST_PREVIEW: [draft.id, shown.message_id]})


async def _previewed(message: Message, state: FSMContext) -> bool | dict[str, Any]:
    """/cancel after a preview, with no step waiting for text: it is that draft the admin means (outside tester:
    "nothing to cancel" was answered, and the preview's Send then went out to everyone)."""
    shown = (await state.get_data()).get(BROADCAST_PREVIEW)
    return {"previewed": shown} if shown else False


@routes.message(Command("cancel"), StateFilter(None), _previewed)
async def cancel_previewed(
    message: Message, ctx: AppContext, lang: str, state: FSMContext, previewed: list[int]
) -> None:
    if message.from_user is None:
        return
    await require_role(ctx, message.from_user.id, "admin")
    await state.update_data({BROADCAST_PREVIEW: None})
    draft_id, preview_id = int(previewed[0]), int(previewed[1])
    if not await broadcasts.cancel(ctx.db, draft_id):  # sent or cancelled already: this /cancel is for nothing
        await message.answer(t(lang, "dialogue.nothing_to_cancel"))
        return
    with contextlib.suppress(TelegramBadRequest):  # its buttons could only be refused now
        await ctx.bot.edit_message_reply_markup(chat_id=message.chat.id, message_id=preview_id, reply_markup=None)
    await message.answer(t(lang, "ops_bc.cancelled"))


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


def _draft_id(callback_data: DraftCB) -> int:
    if callback_data.d <= 0:
        raise DomainError("bad_button")
    return callback_data.d


@contextlib.asynccontextmanager
async def _retired_if_stale(query: CallbackQuery) -> AsyncIterator[None]:
    """A tap on a preview or picker drawn before the draft last changed is refused by the store (STALE, answered
    "no longer active"); that screen loses its buttons too, so it cannot be tapped again by mistake."""
    try:
        yield
    except Conflict as exc:
        message = query.message if isinstance(query.message, Message) else None
        if exc.code == broadcasts.STALE and message is not None and _shows(message, query.data):
            with contextlib.suppress(TelegramBadRequest):
                await message.edit_reply_markup(reply_markup=None)
        raise


def _shows(message: Message, data: str | None) -> bool:
    """Does the message still carry the tapped button? (Not when it was redrawn since and the tap came from
    a client that had not caught up: the redrawn buttons are current and stay.)"""
    markup = message.reply_markup
    rows = markup.inline_keyboard if markup is not None else []
    return any(button.callback_data == data for row in rows for button in row)


async def _redraw(query: CallbackQuery, ctx: AppContext, lang: str, draft_id: int, shown: str | None = None) -> None:
    """The tapped message (the preview, or the product picker) becomes the preview as it is now: an edit where
    Telegram allows one; a text message cannot become a photo, so that one is replaced."""
    preview = await _preview(ctx, lang, draft_id, shown)  # refused (with the reason) before the screen changes
    await query.answer()
    message = query.message if isinstance(query.message, Message) else None
    if preview.photo is None:
        await edit_or_answer(query, preview.text, preview.markup)
        return
    if message is not None and message.photo:
        try:
            await message.edit_caption(caption=preview.text, reply_markup=preview.markup)
        except TelegramBadRequest as exc:
            if not is_not_modified(exc):
                raise
        return
    if query.bot is None:
        return
    await query.bot.send_photo(query.from_user.id, preview.photo, caption=preview.text, reply_markup=preview.markup)
    if message is not None:
        with contextlib.suppress(TelegramBadRequest):
            await message.delete()


@routes.callback_query(DraftCB.filter(F.a == "prod"))
async def product_menu(
    query: CallbackQuery, callback_data: DraftCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    async with _retired_if_stale(query):
        draft = await broadcasts.draft(ctx.db, _draft_id(callback_data), callback_data.r)
    await state.set_state(OpsSG.broadcast_product)
    await state.update_data({BROADCAST_DRAFT: draft.id, BROADCAST_PICKERS: []})
    products = await broadcasts.product_choices(ctx.db)
    await query.answer()
    text, markup = views.product_picker(lang, draft, products)
    shown = await edit_or_answer(query, text, markup)
    await _remember_picker(state, shown)


async def _remember_picker(state: FSMContext, shown: Message | None) -> None:
    """The pickers open for this draft: once one is used (or left), the others lose their buttons."""
    if shown is None:
        return
    pickers = list((await state.get_data()).get(BROADCAST_PICKERS) or [])
    await state.update_data({BROADCAST_PICKERS: [*pickers, shown.message_id]})


async def _retire_pickers(query: CallbackQuery, state: FSMContext) -> None:
    """A pick (or Back) settles the product: every other picker still on screen loses its buttons. Its taps
    would be refused anyway (the draft's revision moved on); this way the admin sees that before tapping."""
    pickers = [int(i) for i in (await state.get_data()).get(BROADCAST_PICKERS) or []]
    await state.update_data({BROADCAST_PICKERS: []})
    tapped = query.message.message_id if query.message is not None else None
    if query.bot is None:
        return
    for message_id in pickers:
        if message_id == tapped:
            continue  # it becomes the preview (or is replaced by it)
        with contextlib.suppress(TelegramBadRequest):
            await query.bot.edit_message_reply_markup(
                chat_id=query.from_user.id, message_id=message_id, reply_markup=None
            )


@routes.message(StateFilter(OpsSG.broadcast_product), F.text, ~F.text.startswith("/"))
async def product_typed(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    """Part of a name (English or Chinese) or a SKU: the matches as buttons, one tap attaches one."""
    if message.from_user is None:
        return
    await require_role(ctx, message.from_user.id, "admin")
    draft = await broadcasts.draft(ctx.db, int((await state.get_data()).get(BROADCAST_DRAFT) or 0))
    typed = " ".join((message.text or "").split())[:64]
    products = await broadcasts.product_choices(ctx.db, typed)
    if not products:
        raise DomainError("ops_broadcast_no_product", query=typed)
    text, markup = views.product_picker(lang, draft, products, query=typed)
    await _remember_picker(state, await message.answer(text, reply_markup=markup))


@routes.message(StateFilter(OpsSG.broadcast_product), ~F.text)
async def product_not_text(message: Message, lang: str) -> None:
    await message.answer(t(lang, "errors.ops_broadcast_product_typed"))


@routes.callback_query(DraftCB.filter(F.a == "pp"))
async def product_picked(
    query: CallbackQuery, callback_data: DraftCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    if not callback_data.v.isdigit():
        raise DomainError("bad_button")
    async with _retired_if_stale(query):
        draft = await broadcasts.attach_product(ctx.db, _draft_id(callback_data), int(callback_data.v), callback_data.r)
    await _leave_picker(query, state)
    await _redraw(query, ctx, lang, draft.id)


@routes.callback_query(DraftCB.filter(F.a == "noprod"))
async def product_removed(
    query: CallbackQuery, callback_data: DraftCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    async with _retired_if_stale(query):
        draft = await broadcasts.attach_product(ctx.db, _draft_id(callback_data), None, callback_data.r)
    await _leave_picker(query, state)
    await _redraw(query, ctx, lang, draft.id)


@routes.callback_query(DraftCB.filter(F.a == "back"))
async def back_to_preview(
    query: CallbackQuery, callback_data: DraftCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    async with _retired_if_stale(query):
        await broadcasts.draft(ctx.db, _draft_id(callback_data), callback_data.r)
    await _leave_picker(query, state)
    await _redraw(query, ctx, lang, _draft_id(callback_data))


@routes.callback_query(DraftCB.filter(F.a == "lang"))
async def show_language(query: CallbackQuery, callback_data: DraftCB, ctx: AppContext, lang: str) -> None:
    """A photo preview in the other language: the caption and buttons its shoppers will get."""
    await require_role(ctx, query.from_user.id, "admin")
    async with _retired_if_stale(query):
        await broadcasts.draft(ctx.db, _draft_id(callback_data), callback_data.r)
    await _redraw(query, ctx, lang, _draft_id(callback_data), callback_data.v)


async def _leave_picker(query: CallbackQuery, state: FSMContext) -> None:
    """Typed text is no longer a product search (it may be the admin's next command or question), and the
    other pickers of this draft are retired."""
    await _retire_pickers(query, state)
    if await state.get_state() == OpsSG.broadcast_product.state:
        await state.set_state(None)


@routes.callback_query(DraftCB.filter(F.a == "send"))
async def send(query: CallbackQuery, callback_data: DraftCB, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    message = query.message if isinstance(query.message, Message) else None
    # A text preview becomes the live progress message (edited in place by store.broadcasts' progress events);
    # a photo cannot become text, so it stays (with the recipients' buttons only) and the progress follows it.
    in_place = message is not None and not message.photo
    async with _retired_if_stale(query):
        count = await broadcasts.send(
            ctx.db,
            _draft_id(callback_data),
            query.from_user.id,
            ctx.settings.ops.broadcast_per_second,
            progress_message_id=message.message_id if in_place and message is not None else None,
            progress_every=ctx.settings.ops.broadcast_progress_seconds,
            revision=callback_data.r,
        )
    await query.answer(t_plain(lang, "ops_bc.queued_toast", count=count))
    if in_place or message is None:
        await _draw(query, ctx, lang, callback_data.d)
        return
    draft = await broadcasts.get(ctx.db, callback_data.d)
    shown_lang = callback_data.v if callback_data.v in LANGUAGES else lang
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=views.sent_photo_markup(shown_lang, draft, ctx.bot_username))
    now = await broadcasts.progress(ctx.db, callback_data.d)
    text, markup = views.broadcast_progress(lang, now)
    shown = await message.answer(text, reply_markup=markup)
    await broadcasts.after_tap(
        ctx.db, callback_data.d, shown.message_id, now.fingerprint, ctx.settings.ops.broadcast_progress_seconds
    )


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


@routes.callback_query(DraftCB.filter(F.a == "cancel"))
async def cancel(query: CallbackQuery, callback_data: DraftCB, ctx: AppContext, lang: str) -> None:
    # Any preview of the draft may cancel it, an older one too: nothing is sent, so nothing can differ.
    await require_role(ctx, query.from_user.id, "admin")
    if not await broadcasts.cancel(ctx.db, callback_data.d):
        raise DomainError("ops_broadcast_already_sent")
    await query.answer()
    await edit_or_answer(query, t(lang, "ops_bc.cancelled"), None)


@routes.callback_query(DraftCB.filter(F.a.in_({"oo", "note"})))
async def preview_explained(query: CallbackQuery, callback_data: DraftCB, ctx: AppContext, lang: str) -> None:
    """The preview's copy of the opt-out, and its label row: they only say what they are."""
    await require_role(ctx, query.from_user.id, "admin")
    key = "ops_bc.preview_opt_out" if callback_data.a == "oo" else "ops_bc.preview_note"
    await query.answer(t_plain(lang, key), show_alert=True)


@routes.callback_query(BroadcastCB.filter(F.a == "optout"))
async def opt_out(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    """The opt-out under a broadcast: the way back ("Receive offers again") takes its place in that message."""
    changed = await broadcasts.opt_out(ctx.db, query.from_user.id)
    await query.answer(t_plain(lang, "ops_bc.opted_out" if changed else "ops_bc.already_out"), show_alert=changed)
    await _swap(query, views.opted_out_markup(lang, _markup(query)))


@routes.callback_query(BroadcastCB.filter(F.a == "optin"))
async def opt_in(query: CallbackQuery, callback_data: BroadcastCB, ctx: AppContext, lang: str) -> None:
    """Back in (idempotent): under a broadcast the opt-out returns; under the /mydata export (v=md) the button is
    used up, since that message is a record of the data as it was."""
    changed = await broadcasts.opt_in(ctx.db, query.from_user.id)
    await query.answer(t_plain(lang, "ops_bc.opted_in" if changed else "ops_bc.already_in"))
    markup = _markup(query)
    if callback_data.v == "md":
        await _export_opted_in(query, views.without_opt_in(markup))
        return
    await _swap(query, views.opted_in_markup(lang, markup))


async def _export_opted_in(query: CallbackQuery, rows: list[list[InlineKeyboardButton]] | None) -> None:
    """The /mydata export's caption said "you opted out" under a button now used up: left so, the shopper
    reads a state that is no longer true. Its line now says they receive announcements again."""
    message = query.message
    if rows is None or not isinstance(message, Message):
        return  # the button is gone already (a second tap): the message was redrawn by the first
    caption = views.export_caption_opted_in(message.caption)
    if caption is None:
        await _swap(query, rows)
        return
    with contextlib.suppress(TelegramBadRequest):
        await message.edit_caption(
            caption=caption, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
        )


def _markup(query: CallbackQuery) -> InlineKeyboardMarkup | None:
    return query.message.reply_markup if isinstance(query.message, Message) else None


async def _swap(query: CallbackQuery, rows: list[list[InlineKeyboardButton]] | None) -> None:
    """Redraw the tapped message's buttons as `rows` (none left: no keyboard); None: they stay as they are (never
    an edit that changes nothing: a second tap from a client that had not caught up is only answered)."""
    if rows is None or not isinstance(query.message, Message):
        return
    with contextlib.suppress(TelegramBadRequest):
        await query.message.edit_reply_markup(reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None)


def setup() -> Router:
    return routes.build()
