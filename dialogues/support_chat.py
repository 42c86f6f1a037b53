"""The support conversation's FSM: after a shopper rates a closed ticket, one optional comment.

The comment is asked for only when the shopper taps «Add a comment» under the rating's thanks: the next message
after the stars is as often a new question as feedback, and neither a rule on its wording nor the intent
classifier tells them apart reliably (an outside tester's "感谢您的反馈！" answered a new question; the classifier
reads "The refund was processed fast" as a refund request). While the shopper is in the step, their one text
message is the comment; anything that is not text ends the step politely.

The step is short-lived: any command (/catalog, /start, ...), any button other than the step's own, and
COMMENT_WINDOW_SECONDS without an answer end it before the update is routed (SupportConversation, a dispatcher
middleware), so a question typed later is answered as a question. A shopper who has an open ticket again talks
to its agent, so their message is relayed, whatever step was left waiting.

The same middleware notes a command that a shopper with an open ticket sends (/start's welcome, /catalog):
handlers.support then tells them that their next message still went to the team, not to the bot.
"""

from __future__ import annotations

import html
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Dispatcher, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.callbacks.support import SupCB
from bot.chat_language import follow_conversation
from bot.context import AppContext
from bot.i18n import Translator, t
from bot.middlewares import UserContextMiddleware
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from store import support

COMMENT_MAX = 1000
# How long the "add a comment" step waits for its one message before the bot treats text as a question again.
COMMENT_WINDOW_SECONDS = 15 * 60
# FSM data: a shopper with an open ticket used a command; their next relayed message gets a reminder.
REMIND_KEY = "support_remind"


class SupportChat(StatesGroup):
    rating_comment = State()


routes = Routes("support_chat")
routes.message.filter(F.chat.type == "private")


async def ask_for_comment(state: FSMContext, ticket_id: int) -> None:
    await state.set_state(SupportChat.rating_comment)
    await state.update_data(support_ticket=ticket_id, support_comment_until=time.time() + COMMENT_WINDOW_SECONDS)


def _is_command(message: Message) -> bool:
    return (message.text or "").startswith("/")


def _own_button(query: CallbackQuery) -> bool:
    """The comment step's own buttons (another star, Add a comment, Skip) keep it; every other button ends it."""
    data = query.data or ""
    if not data.startswith(f"{SupCB.__prefix__}:"):
        return False
    try:
        return SupCB.unpack(data).a in ("rate", "cmt", "skip")
    except (TypeError, ValueError):
        return False


class SupportConversation(BaseMiddleware):
    """Ends the rating-comment step when the shopper moves on, before any router looks at the update (the
    catalog's /catalog or a menu button would otherwise leave the step waiting for the next question)."""

    async def __call__(
        self,
        handler: Callable[[Any, dict[str, Any]], Awaitable[Any]],
        event: Any,
        data: dict[str, Any],
    ) -> Any:
        state: FSMContext | None = data.get("state")
        raw_state = data.get("raw_state")
        if state is not None and raw_state == SupportChat.rating_comment.state:
            if isinstance(event, Message):
                moved_on = event.chat.type == "private" and (
                    _is_command(event) or await _expired(state) or await _has_open_ticket(data.get("ctx"), event)
                )
            else:
                moved_on = isinstance(event, CallbackQuery) and not _own_button(event)
            if moved_on:
                await state.clear()
                data["raw_state"] = None  # routed as outside any dialogue
        result = await handler(event, data)
        shopper = event.from_user if isinstance(event, Message) and _shop_command(event) else None
        if state is not None and shopper is not None and data.get("raw_state") is None:
            ctx: AppContext | None = data.get("ctx")
            if ctx is not None and await support.active_ticket(ctx.db, shopper.id) is not None:
                # The shop's screens do not say a person is still attached (/start shows the plain welcome).
                await state.update_data({REMIND_KEY: True})
        return result


def _shop_command(message: Message) -> bool:
    """A shopper's command in their private chat other than /support (which answers about the ticket itself)."""
    if message.chat.type != "private" or not _is_command(message):
        return False
    return (message.text or "").split(maxsplit=1)[0].split("@")[0] != "/support"


async def _has_open_ticket(ctx: AppContext | None, message: Message) -> bool:
    """A new ticket is open (the old conversation's stars were tapped meanwhile, or the step was left waiting):
    the shopper's message is for its agent, whatever it says."""
    if ctx is None or message.from_user is None:
        return False
    return await support.active_ticket(ctx.db, message.from_user.id) is not None


async def _expired(state: FSMContext) -> bool:
    until = (await state.get_data()).get("support_comment_until")
    return until is not None and time.time() > float(until)


def install(dp: Dispatcher) -> None:
    """Before the feature routers: registered on the message and button observers (after the update-level
    FSM middleware, whose conversation state it reads)."""
    middleware = SupportConversation()
    dp.message.outer_middleware(middleware)
    dp.callback_query.outer_middleware(middleware)


@routes.message(StateFilter(SupportChat.rating_comment), F.text)
async def comment_given(
    message: Message,
    state: FSMContext,
    ctx: AppContext,
    _: Translator,
    user_context: UserContextMiddleware | None = None,
) -> None:
    if message.from_user is not None and message.text:
        # A comment written in Chinese from an English Telegram app is answered in Chinese, like the rest.
        _ = Translator(await follow_conversation(ctx, message.from_user.id, message.text, _.lang, user_context))
    data = await state.get_data()
    ticket_id = int(data.get("support_ticket") or 0)
    await state.clear()
    text = (message.text or "").strip()
    if text.startswith("/"):
        # A command while we wait for a comment: the shopper moved on; do not store it as feedback.
        await message.answer(_("support.ticket.comment_skipped"))
        return
    if not ticket_id or not message.from_user:
        await message.answer(_("support.ticket.comment_skipped"))
        return
    await support.comment(ctx.db, ticket_id, message.from_user.id, text[:COMMENT_MAX])
    await message.answer(_("support.ticket.comment_saved"))
    ticket = await support.get_ticket(ctx.db, ticket_id)
    if ticket.chat_id is not None and text:
        note = t(
            ctx.settings.shop.default_language,  # the support group reads the shop language
            "support.topic.comment_note",
            ticket_id=ticket_id,
            comment=html.escape(text[:COMMENT_MAX]),
        )
        await ctx.bot.send_message(ticket.chat_id, note, message_thread_id=ticket.thread_id)


@routes.message(StateFilter(SupportChat.rating_comment))
async def comment_not_text(message: Message, state: FSMContext, _: Translator) -> None:
    await state.clear()
    await message.answer(_("support.ticket.comment_skipped"))


def _skip_markup(label: str, ticket_id: int) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=label, callback_data=SupCB(a="skip", t=ticket_id).pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


@routes.callback_query(SupCB.filter(F.a == "cmt"))
async def comment_asked(
    query: CallbackQuery, callback_data: SupCB, state: FSMContext, ctx: AppContext, _: Translator
) -> None:
    await query.answer()
    if await support.active_ticket(ctx.db, query.from_user.id) is not None:
        # A new conversation opened since the stars: what they write goes to its agent, not into a comment.
        await edit_or_answer(query, _("support.ticket.rated_thanks"))
        return
    await ask_for_comment(state, callback_data.t)
    await edit_or_answer(
        query, _("support.ticket.comment_prompt"), _skip_markup(_("support.button.skip"), callback_data.t)
    )


@routes.callback_query(SupCB.filter(F.a == "skip"))
async def comment_skipped(query: CallbackQuery, state: FSMContext, _: Translator) -> None:
    if await state.get_state() == SupportChat.rating_comment.state:
        await state.clear()
    await query.answer()
    await edit_or_answer(query, _("support.ticket.comment_skipped"))


def setup() -> Router:
    return routes.build()
