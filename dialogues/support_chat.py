"""The support conversation's FSM: after a shopper rates a closed ticket, one optional comment.

While the shopper is in a state here, free text belongs to this dialogue, not to the assistant (whose
router only takes updates with no state). Anything that is not text ends the step politely.

The step is short-lived: any command (/catalog, /start, ...), any button other than this ticket's own rating
buttons, and COMMENT_WINDOW_SECONDS without an answer end it before the update is routed (SupportConversation,
a dispatcher middleware), so a question typed later is answered as a question instead of being filed as a
rating comment. Within the window, too, the one message is taken as the comment only when it reads as one
(outside tester: "感谢您的反馈！" answered a new question): a message that reads as a question or a request
(`reads_as_question`) goes to the assistant, and a shopper who has an open ticket again talks to its agent, so
their message is relayed. The question test is by form (a question mark, a question word, "I want ..."), not by
the intent classifier: trained on shop questions only, it reads feedback as questions with full confidence ("The
refund was processed fast" as a refund request, "一般般" as a delivery question).

The same middleware notes a command that a shopper with an open ticket sends (/start's welcome, /catalog):
handlers.support then tells them that their next message still went to the team, not to the bot.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Dispatcher, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

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
    """The rating step's own buttons (another star, Skip) keep it; every other button ends it."""
    data = query.data or ""
    if not data.startswith(f"{SupCB.__prefix__}:"):
        return False
    try:
        return SupCB.unpack(data).a in ("rate", "skip")
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
                    _is_command(event)
                    or await _expired(state)
                    or reads_as_question(event.text or event.caption or "")
                    or await _has_open_ticket(data.get("ctx"), event)
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


# --- does the one message read as a question? --------------------------------------------------------------

# A wh-word first ("where is my order"), but not an exclamation ("What a great service!", "How kind of you!").
_EN_WH = re.compile(r"^(?:what|where|when|why|who|whom|whose|which|how)\b(?!\s+(?:a|an)\b)", re.IGNORECASE)
# A question by inversion: an auxiliary, then who or what it asks about ("can I pay by card", "is there a
# shop", "do you have tea"); an auxiliary alone is not one ("Would recommend", "Could be faster").
_EN_INVERSION = re.compile(
    r"^(?:am|is|are|was|were|do|does|did|can|could|will|would|shall|should|may|might|have|has)(?:n't|nt)?\s+"
    r"(?:i|you|u|we|it|my|your|our|the|there|this|that|these|those|they|he|she|someone|anyone|somebody|anybody)\b",
    re.IGNORECASE,
)
# A request the bot acts on, or a new question announced.
_EN_REQUEST = re.compile(
    r"^(?:i\s+(?:want|need|would\s+like|'d\s+like|wanna)\b(?!\s+to\s+(?:say|thank|add|mention)\b)"
    r"|(?:please\s+)?(?:help\s+me|tell\s+me|show\s+me|let\s+me)\b"
    r"|(?:please\s+)?(?:talk|speak|chat)\s+(?:to|with)\b"
    r"|(?:a\s+)?(?:human|real\s+person|person|agent)(?:\s+(?:please|pls))?$)"
    r"|\b(?:one\s+more|another|quick|a)\s+question\b",
    re.IGNORECASE,
)
# Chinese: a question word or a request anywhere ("我的订单到哪了", "积分怎么用", "我要退款", "转人工"), or 吗 at the
# end. Not 没什么 ("nothing wrong"), not 我想说 ("I'd like to say").
_ZH_QUESTION = re.compile(
    r"怎么|怎樣|怎样|如何|哪|为什么|為什麼|为啥|多少|多久|几[点點天个個号號时時次件块塊元]|是否|能否|有没有|有沒有|能不能|"
    r"可不可以|是不是|会不会|會不會|请问|請問|我要|我想(?![说說])|我需要|帮我|幫我|转人工|轉人工|找人工|人工客服|"
    r"(?<!没)(?<!沒)什么|(?<!没)(?<!沒)什麼|还有个问题|还有一个问题|另外问|再问"
)
_ZH_PARTICLE = re.compile(r"[吗嗎][\s。.!！~～…]*$")


def reads_as_question(text: str) -> bool:
    """Whether a message in the rating-comment step is a new question or request rather than feedback."""
    text = " ".join(text.replace("’", "'").split())
    if not text:
        return False
    if "?" in text or "？" in text:
        return True
    if _ZH_QUESTION.search(text) or _ZH_PARTICLE.search(text):
        return True
    if _EN_WH.match(text) and not text.endswith("!"):
        return True
    return bool(_EN_INVERSION.match(text) or _EN_REQUEST.search(text))


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


@routes.callback_query(SupCB.filter(F.a == "skip"))
async def comment_skipped(query: CallbackQuery, state: FSMContext, _: Translator) -> None:
    if await state.get_state() == SupportChat.rating_comment.state:
        await state.clear()
    await query.answer()
    await edit_or_answer(query, _("support.ticket.comment_skipped"))


def setup() -> Router:
    return routes.build()
