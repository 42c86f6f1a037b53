"""The support desk in the forum supergroup: a topic per shopper, the ticket card, opening and closing tickets,
notes in the topic, agents' replies signed for the shopper, and the replies that wait for a shopper who blocked the
bot. Used by the support feature's handlers, by the assistant (hand-over to a person) and by /forgetme (the topic is
renamed)."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import BaseMiddleware, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, Message

from bot import nlu_service
from bot.access import has_role
from bot.context import AppContext
from bot.i18n import t, t_plain
from bot.views import support as views
from bot.views.clock import zoned, zoned_hours
from store import reachability, support, users
from store.errors import Forbidden
from store.models import utcnow

log = logging.getLogger(__name__)


# Content a shopper or an agent may send that is relayed with copyMessage (service messages are not).
RELAYED = {
    "text",
    "photo",
    "sticker",
    "voice",
    "video",
    "video_note",
    "audio",
    "document",
    "animation",
    "location",
    "contact",
}
MAX_AGENTS_LISTED = 30
# The commands that work in the support group (handlers/support.py); the shop's own (/start, /catalog, /cart,
# /help, ...) are for shoppers and say nothing there.
DESK_COMMANDS = frozenset({"close", "canned", "canned_add", "canned_del", "support_stats"})


def content_kind(message: Message) -> str:
    # aiogram's ContentType is a str enum whose str() is "ContentType.TEXT": its value is the kind.
    kind = str(getattr(message.content_type, "value", message.content_type))
    return kind if kind in RELAYED else "other"


def transcript_summary(message: Message) -> str:
    """What the transcript keeps of a message: its text or caption (media are kept as their kind)."""
    return message.text or message.caption or ""


# --- tickets: opening, the card, closing ---------------------------------------------------------------


async def create_topic(ctx: AppContext, chat_id: int, user_id: int) -> int | None:
    snap = await support.snapshot(ctx.db, user_id, orders=0)
    try:
        topic = await ctx.bot.create_forum_topic(chat_id, views.topic_name(views.staff_lang(ctx.settings), snap))
    except TelegramAPIError as exc:
        # Not a forum or the bot lost its admin rights: the card still goes to the group's General topic.
        log.warning("could not create a support topic in %s: %s", chat_id, exc)
        return None
    await support.set_topic(ctx.db, user_id, chat_id, topic.message_thread_id)
    return topic.message_thread_id


async def agent_name(ctx: AppContext, user_id: int) -> str:
    """An agent's name: from the shop's users, else from the support group (agents need not have used the bot)."""
    user = await users.get_user(ctx.db, user_id)
    if user is not None and user.first_name:
        return user.first_name
    chat_id = ctx.settings.support.chat_id
    if chat_id is not None:
        try:
            return (await ctx.bot.get_chat_member(chat_id, user_id)).user.full_name
        except TelegramAPIError:
            pass
    return str(user_id)


def thread_gone(exc: TelegramBadRequest) -> bool:
    text = exc.message.lower()
    return "thread not found" in text or "topic_deleted" in text or "topic_closed" in text or "topic not found" in text


async def _tier_name(ctx: AppContext, user_id: int, lang: str) -> str | None:
    try:
        from store.growth import tiers
    except ImportError:  # loyalty not installed
        return None
    try:
        return (await tiers.status(ctx.db, user_id)).tier.name(lang)
    except Exception:  # the card must not fail because of a loyalty problem
        log.exception("tier lookup failed for %s", user_id)
        return None


async def _card(ctx: AppContext, ticket: support.TicketInfo) -> tuple[str, InlineKeyboardMarkup | None]:
    lang = views.staff_lang(ctx.settings)
    snap = await support.snapshot(ctx.db, ticket.user_id)
    assignee = None
    if ticket.assignee_id is not None:
        assignee = await agent_name(ctx, ticket.assignee_id)
    tier = await _tier_name(ctx, ticket.user_id, lang)
    text = views.ticket_card_text(lang, ctx.settings, ticket, snap, assignee=assignee, tier=tier)
    return text, views.card_markup(lang, ticket)


async def post_ticket_card(ctx: AppContext, ticket: support.TicketInfo) -> bool:
    """Post the ticket's card in the shopper's topic (re-creating a deleted topic once)."""
    assert ticket.chat_id is not None
    thread_id = ticket.thread_id
    if thread_id is None:
        thread_id = await create_topic(ctx, ticket.chat_id, ticket.user_id)
    for attempt in range(2):
        text, markup = await _card(ctx, ticket)
        try:
            sent = await ctx.bot.send_message(ticket.chat_id, text, reply_markup=markup, message_thread_id=thread_id)
        except TelegramBadRequest as exc:
            if attempt == 0 and thread_id is not None and thread_gone(exc):
                thread_id = await create_topic(ctx, ticket.chat_id, ticket.user_id)
                continue
            log.warning("could not post the card of ticket %s: %s", ticket.id, exc.message)
            return False
        except TelegramAPIError as exc:
            log.warning("could not post the card of ticket %s: %s", ticket.id, exc)
            return False
        await support.set_card(ctx.db, ticket.id, sent.message_id)
        return True
    return False


async def open_ticket_for(
    ctx: AppContext, user_id: int, lang: str, *, reason: str = "request", order_id: int | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Open (or find) the shopper's ticket; returns the one message to answer the shopper with."""
    chat_id = ctx.settings.support.chat_id
    hours = zoned_hours(ctx.settings.shop.hours, ctx.settings.shop.timezone, utcnow())
    if chat_id is None:
        return t(lang, "support.ticket.unavailable", hours=hours), None

    async def show_card(ticket: support.TicketInfo) -> bool:
        return await post_ticket_card(ctx, ticket)

    result = await support.hand_over(
        ctx.db,
        user_id,
        support_chat_id=chat_id,
        take_sla_minutes=ctx.settings.support.take_sla_minutes,
        show_card=show_card,
        reason=reason,
        order_id=order_id,
    )
    ticket = result.ticket
    if ticket is None:
        return t(lang, "support.ticket.unavailable", hours=hours), None
    if result.status == "already_open":
        return t(lang, "support.ticket.already_open"), views.back_to_bot_markup(lang, ticket.id)
    intro = html.escape(nlu_service.faq_answer(ctx.settings, "human_agent", lang))
    if reason == "refund" and order_id is not None:
        intro = t(lang, "support.orders.refund_ticket", order_id=order_id) + intro
    markup = views.back_to_bot_markup(lang, ticket.id)
    offline = support_offline(ctx.settings.shop.hours, ctx.settings.shop.timezone, utcnow())
    if offline is not None:
        # Not "a person will reply here" at 05:56 (outside tester): the team is offline, the message is kept for
        # them, and they answer from the next opening.
        opens, day = offline
        day_name = t_plain(lang, f"support.ticket.opens_{day}")
        return t(lang, "support.ticket.opened_offline", intro=intro, opens=opens, day=day_name), markup
    return t(lang, "support.ticket.opened", intro=intro), markup


def support_offline(hours: str, timezone: str, now: datetime) -> tuple[str, str] | None:
    """Outside the support hours (config shop.hours, e.g. "09:00-21:00", on the shop's clock): when the team is
    back (`09:00 UTC+8`) and whether that is "today" or "tomorrow" (the locale key's suffix); None while the team
    is in, or when the hours are written some other way (no claim about them either way)."""
    try:
        start_text, end_text = (part.strip() for part in hours.split("-", 1))
        start = time.fromisoformat(start_text)
        end = time.max if end_text in ("24:00", "23:59") else time.fromisoformat(end_text)
    except ValueError:
        return None
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start <= clock < end or start == end:
        return None
    day = "today" if clock < start else "tomorrow"
    opening = datetime.combine(local.date() + timedelta(days=day == "tomorrow"), start, zone)
    return zoned(opening, timezone, "%H:%M"), day


async def refresh_card(ctx: AppContext, ticket_id: int) -> None:
    ticket = await support.get_ticket(ctx.db, ticket_id)
    if ticket.chat_id is None or ticket.card_message_id is None:
        return
    text, markup = await _card(ctx, ticket)
    try:
        await ctx.bot.edit_message_text(
            text=text, chat_id=ticket.chat_id, message_id=ticket.card_message_id, reply_markup=markup
        )
    except TelegramBadRequest as exc:
        if "message is not modified" not in exc.message:
            log.info("card of ticket %s not edited: %s", ticket_id, exc.message)


async def anonymise_topic(ctx: AppContext, user_id: int) -> None:
    """After /forgetme: the shopper's topic loses their name from its title, and the active card is redrawn
    without it (the store already erased the name). A topic an earlier /forgetme renamed is left alone, also
    when the shopper came back meanwhile (renaming it again would earn a 400 TOPIC_NOT_MODIFIED)."""
    topic = await support.topic_to_anonymise(ctx.db, user_id)
    if topic is not None:
        chat_id, thread_id = topic
        try:
            await ctx.bot.edit_forum_topic(
                chat_id, thread_id, name=t(views.staff_lang(ctx.settings), "privacy.topic_erased")
            )
        except TelegramAPIError as exc:  # deleted meanwhile, or no admin rights
            log.info("support topic of %s not renamed: %s", user_id, exc)
    ticket = await support.active_ticket(ctx.db, user_id)
    if ticket is not None:
        await refresh_card(ctx, ticket.id)


async def topic_note(ctx: AppContext, ticket: support.TicketInfo, key: str, **params: Any) -> None:
    if ticket.chat_id is None:
        return
    text = t(views.staff_lang(ctx.settings), key, **params)
    try:
        await ctx.bot.send_message(ticket.chat_id, text, message_thread_id=ticket.thread_id)
    except TelegramAPIError as exc:
        log.info("note for ticket %s not posted: %s", ticket.id, exc)


async def shopper_blocked(ctx: AppContext, ticket_id: int) -> None:
    """The shopper blocked the bot: nobody can answer them any more; close with a note for the agents."""
    closed = await support.close(ctx.db, ticket_id, closed_by=None, reason="blocked")
    if closed is None:
        return
    await refresh_card(ctx, ticket_id)
    await topic_note(ctx, closed, "support.topic.blocked_note", ticket_id=ticket_id)


async def shopper_language(ctx: AppContext, user_id: int) -> str:
    user = await users.get_user(ctx.db, user_id)
    return users.support_language(user) if user is not None else ctx.settings.shop.default_language


async def close_ticket(ctx: AppContext, ticket_id: int, agent_id: int) -> bool:
    """An agent closes: the card loses its buttons, the topic gets a note, the shopper is asked for a rating."""
    closed = await support.close(ctx.db, ticket_id, closed_by=agent_id, reason="agent")
    if closed is None:
        return False
    await refresh_card(ctx, ticket_id)
    agent = await agent_name(ctx, agent_id)
    await topic_note(ctx, closed, "support.topic.closed_note", ticket_id=ticket_id, agent=html.escape(agent))
    lang = await shopper_language(ctx, closed.user_id)
    try:
        await ctx.bot.send_message(
            closed.user_id, t(lang, "support.ticket.closed"), reply_markup=views.rating_markup(ticket_id)
        )
    except TelegramForbiddenError:
        await users.mark_unreachable(ctx.db, closed.user_id)
    return True


async def require_agent(ctx: AppContext, user_id: int) -> None:
    if not await has_role(ctx, user_id, "support"):
        raise Forbidden("not_an_agent")


# --- agents' replies for the shopper ------------------------------------------------------------------------


# Kinds that take a caption, so the signature can ride along in the same message (one message per reply).
CAPTIONED = {"photo", "video", "audio", "document", "animation", "voice"}


def agent_reply_of(message: Message) -> support.AgentReply:
    """What the store keeps of an agent's message in a topic to send it (again): see support.AgentReply."""
    return support.AgentReply(
        kind=content_kind(message),
        text=message.text or message.caption or "",
        html=message.html_text if (message.text or message.caption) else "",
        from_chat_id=message.chat.id,
        from_message_id=message.message_id,
    )


async def reply_label(ctx: AppContext, shopper_id: int, agent_id: int) -> str:
    style = ctx.settings.support.reply_label
    if style == "none":
        return ""
    lang = await shopper_language(ctx, shopper_id)
    return views.reply_label(lang, style, await agent_name(ctx, agent_id) if style == "name" else "")


async def send_signed(ctx: AppContext, shopper_id: int, label: str, reply: support.AgentReply) -> Any:
    """The agent's reply for the shopper, signed: a shopper should know a person answers, and who.

    The signature rides on the reply's first line when both fit in one message (Telegram counts UTF-16 code units of
    the text as shown: 4,096 for a text, 1,024 for a caption). A reply the agent wrote up to the limit does not
    leave room for it (outside tester: Telegram refused it as "message is too long" and the shopper got nothing):
    then the signature goes first on its own and the reply follows copied as the agent sent it, whole and with
    its formatting (cutting it in two would mean cutting through links and bold text, and the copy cannot be
    too long, since Telegram took it from the agent)."""
    if label and reply.kind == "text":
        return await _signed_or_apart(
            ctx,
            shopper_id,
            label,
            reply,
            views.TEXT_LIMIT,
            signed=lambda body: ctx.bot.send_message(shopper_id, body),
            bare=lambda: _as_sent(ctx, shopper_id, reply),
        )
    if label and reply.kind in CAPTIONED:
        if not reply.text:
            return await _copy(ctx, shopper_id, reply, caption=label)
        return await _signed_or_apart(
            ctx,
            shopper_id,
            label,
            reply,
            views.CAPTION_LIMIT,
            signed=lambda body: _copy(ctx, shopper_id, reply, caption=body),
            bare=lambda: _copy(ctx, shopper_id, reply),
        )
    # Stickers, locations, contacts take no caption: they go as they are (the conversation is already signed).
    return await _as_sent(ctx, shopper_id, reply)


async def _signed_or_apart(
    ctx: AppContext,
    shopper_id: int,
    label: str,
    reply: support.AgentReply,
    limit: int,
    *,
    signed: Callable[[str], Awaitable[Any]],
    bare: Callable[[], Awaitable[Any]],
) -> Any:
    """`signed(label + reply)` when both fit in `limit`, else (or when Telegram counts it too long after all) the
    label on its own and then `bare()`."""
    if views.fits_signed(label, reply.text, limit):
        try:
            return await signed(f"{label}\n{reply.html}")
        except TelegramBadRequest as exc:
            if not _too_long(exc):
                raise
            log.warning("signed reply for %s counted as too long by Telegram; signature sent apart", shopper_id)
    await ctx.bot.send_message(shopper_id, label)
    return await bare()


def _too_long(exc: TelegramBadRequest) -> bool:
    return "too long" in exc.message.lower()


async def _as_sent(ctx: AppContext, shopper_id: int, reply: support.AgentReply) -> Any:
    """A copy of the agent's message; a reply with no message behind it (a canned reply) is its text."""
    if reply.from_message_id is None:
        return await ctx.bot.send_message(shopper_id, reply.html)
    return await _copy(ctx, shopper_id, reply)


async def _copy(ctx: AppContext, shopper_id: int, reply: support.AgentReply, caption: str | None = None) -> Any:
    assert reply.from_chat_id is not None and reply.from_message_id is not None
    return await ctx.bot.copy_message(shopper_id, reply.from_chat_id, reply.from_message_id, caption=caption)


# --- replies waiting for a shopper who blocked the bot ---------------------------------------------------------


async def park_for_shopper(
    ctx: AppContext,
    ticket: support.TicketInfo,
    agent_id: int,
    reply: support.AgentReply,
    topic_message: Message,
    *,
    attempted_at: datetime | None = None,
) -> bool:
    """Keep the reply until the shopper starts the bot again and tell the agent so, under their message; False when
    the shopper can be reached (nothing kept). `attempted_at`: see support.park_reply."""
    if not await support.park_reply(ctx.db, ticket.id, agent_id, reply, attempted_at=attempted_at):
        return False
    try:
        await topic_message.reply(t(views.staff_lang(ctx.settings), "support.topic.reply_waiting"))
    except TelegramAPIError as exc:
        log.info("waiting note for ticket %s not posted: %s", ticket.id, exc)
    return True


async def _shoppers_back(ctx: AppContext, info: dict[str, Any]) -> None:
    for user_id in info.get(reachability.RETURNED_KEY, ()):
        await deliver_waiting(ctx, user_id)


async def deliver_waiting(ctx: AppContext, user_id: int) -> None:
    """The agents' replies that waited for this shopper, oldest first, each once (support.claim_waiting), signed as
    usual; the topic is told how many arrived. When their conversation was closed meanwhile (blocking the bot
    closes it), a last line says so, with the button to talk to a person again: what they write next goes to the
    bot, not to the agent, and they should know that before answering the agent.

    Run on a return (the after-commit hook) and before each agent reply: the second is the net for a return whose
    hook never ran (the process died between the commit and the hook), and costs one indexed read per message an
    agent types, which is nothing next to the send that follows."""
    waiting = await support.claim_waiting(ctx.db, user_id)
    if not waiting:
        return
    delivered: dict[int, int] = {}
    failed: dict[int, int] = {}
    for index, item in enumerate(waiting):
        attempted_at = utcnow()
        try:
            await send_signed(ctx, user_id, await reply_label(ctx, user_id, item.agent_id), item.reply)
        except TelegramBadRequest as exc:  # e.g. the agent deleted their message in the topic meanwhile
            log.warning("waiting reply %s for %s refused: %s", item.id, user_id, exc.message)
            await support.reply_failed(ctx.db, item.id)
            failed[item.ticket_id] = failed.get(item.ticket_id, 0) + 1
            continue
        except TelegramAPIError as exc:
            # Blocked again already, or Telegram is busy: this one and the rest wait for the next return, in order.
            await support.release_waiting(ctx.db, [w.id for w in waiting[index:]])
            if isinstance(exc, TelegramForbiddenError):
                await reachability.refused(ctx.db, user_id, attempted_at)
            break
        await support.reply_delivered(ctx.db, item.id)
        delivered[item.ticket_id] = delivered.get(item.ticket_id, 0) + 1
    for key, counts in (("support.topic.waiting_delivered", delivered), ("support.topic.waiting_failed", failed)):
        for ticket_id, count in counts.items():
            await topic_note(ctx, await support.get_ticket(ctx.db, ticket_id), key, count=count, ticket_id=ticket_id)
    if delivered and await support.active_ticket(ctx.db, user_id) is None:
        lang = await shopper_language(ctx, user_id)
        markup = InlineKeyboardMarkup(inline_keyboard=[[views.human_button(lang)]])
        try:
            await ctx.bot.send_message(user_id, t(lang, "support.ticket.closed_meanwhile"), reply_markup=markup)
        except TelegramAPIError as exc:
            log.info("closed-meanwhile line for %s not sent: %s", user_id, exc)


# --- the support group is the agents' room, not a shop -------------------------------------------------------


_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s|$)")


def command_name(message: Message) -> str | None:
    """`/catalog@shop_bot args` -> "catalog"; None for a message that is not a command (an agent's note
    "// ..." is not one)."""
    found = _COMMAND.match(message.text or "")
    return found.group(1).lower() if found else None


class DeskIsNotAShop(BaseMiddleware):
    """In the support group only the desk's commands reach a handler: an agent's /catalog or /start would have
    the bot answer as the shop to its own staff, in a room shoppers never see."""

    async def __call__(
        self,
        handler: Callable[[Any, dict[str, Any]], Awaitable[Any]],
        event: Any,
        data: dict[str, Any],
    ) -> Any:
        ctx: AppContext | None = data.get("ctx")
        if (
            isinstance(event, Message)
            and ctx is not None
            and ctx.settings.support.chat_id is not None
            and event.chat.id == ctx.settings.support.chat_id
        ):
            name = command_name(event)
            if name is not None and name not in DESK_COMMANDS:
                return None  # a shop command in the agents' room: nothing to do here
        return await handler(event, data)


def install(dp: Dispatcher) -> None:
    dp.message.outer_middleware(DeskIsNotAShop())
    ctx = dp.workflow_data.get("ctx")
    if isinstance(ctx, AppContext):
        # A shopper who could not be reached is back as soon as the commit that clears their mark is done (any
        # private update: store.reachability.clear_in); their waiting replies follow at once. Registered here, with
        # the desk, because bot/app.py's wiring has no list of after-commit hooks.
        ctx.db.on_after_commit(partial(_shoppers_back, ctx))
