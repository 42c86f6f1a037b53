"""Human takeover (issue 6): tickets in a forum-topic support group.

Shopper side (private chat): /support or a "Talk to a human" button opens a ticket; while a ticket is active
every message the shopper sends (text, photos, stickers, voice, files) is copied into their topic, and the
bot's automatic answers stay silent; "Back to the bot" ends it (asking first while nobody has answered, so a stray
tap does not cost the shopper their place in the queue); after an agent closes it the shopper rates
it 1-5 with an optional comment (dialogues/support_chat.py).

Support-group side (settings.support.chat_id; the bot is an admin there, so it sees every topic message):
one topic per shopper, reused by later tickets, headed by a card (Take over / Assign to… / Close). An agent's
message in a topic is copied to the shopper as the shop; messages starting with the internal marker stay
notes. Writing in an untaken ticket's topic takes it for that agent. /close, /canned, /canned_add,
/canned_del, /support_stats. Every button and command re-checks the role (bot.access): callback data is
never trusted.
"""

from __future__ import annotations

import contextlib
import html
import logging
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import CallbackQuery, ChatMemberUpdated, InaccessibleMessage, InlineKeyboardMarkup, Message

from bot import tap_guard
from bot.access import has_role
from bot.admin_menu import AdminSection
from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.support import SupCB, SupStatsCB
from bot.chat_language import follow_conversation
from bot.context import AppContext
from bot.i18n import Translator, t, t_plain
from bot.middlewares import UserContextMiddleware
from bot.routes import Routes
from bot.support_desk import (
    MAX_AGENTS_LISTED,
    RELAYED,
    agent_name,
    agent_reply_of,
    close_ticket,
    content_kind,
    create_topic,
    deliver_waiting,
    open_ticket_for,
    park_for_shopper,
    post_ticket_card,
    refresh_card,
    reply_label,
    require_agent,
    send_signed,
    shopper_blocked,
    shopper_language,
    thread_gone,
    topic_note,
    transcript_summary,
)
from bot.telegram_utils import edit_or_answer
from bot.views import support as views
from dialogues import support_chat
from store import support, users
from store.errors import Forbidden
from store.models import utcnow

log = logging.getLogger(__name__)
routes = Routes("support")

ADMIN_SECTION = AdminSection(key="support", label_key="support.admin.section", role="support", order=60)


@routes.message(Command("support"), F.chat.type == "private")
async def support_command(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    if message.from_user is None:
        return
    await state.clear()
    text, markup = await open_ticket_for(ctx, message.from_user.id, lang)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(SupCB.filter(F.a == "human"))
async def human_button(query: CallbackQuery, ctx: AppContext, lang: str, fsm_storage: BaseStorage) -> None:
    # The button carries no ids: nothing in it could point the ticket at someone else's order.
    # A second tap (a double tap, or the button tapped again later) hands over nothing new: a toast says the
    # team is already there, and the one "I'll connect you" message stays the last word.
    already = t_plain(lang, "support.ticket.already_open_toast")
    if await tap_guard.repeated(ctx, query, fsm_storage, already):
        return
    if await support.active_ticket(ctx.db, query.from_user.id) is not None:
        await query.answer(already)
        return
    await query.answer()
    text, markup = await open_ticket_for(ctx, query.from_user.id, lang)
    await ctx.bot.send_message(query.from_user.id, text, reply_markup=markup)


async def _own_ticket(ctx: AppContext, query: CallbackQuery, ticket_id: int) -> support.TicketInfo:
    ticket = await support.get_ticket(ctx.db, ticket_id)
    if ticket.user_id != query.from_user.id:
        raise Forbidden("not_your_ticket")
    return ticket


@routes.callback_query(SupCB.filter(F.a == "back"))
async def back_to_bot(query: CallbackQuery, callback_data: SupCB, ctx: AppContext, _: Translator) -> None:
    ticket = await _own_ticket(ctx, query, callback_data.t)
    if ticket.status == "open":
        # Nobody has answered yet: the request is a place in the queue, and one stray tap must not give it up
        # (outside tester). Once an agent has it, the button hands back at once as before.
        seen = await support.last_shopper_message(ctx.db, ticket.id)
        await query.answer()
        await edit_or_answer(
            query, _("support.ticket.withdraw_confirm"), views.withdraw_markup(_.lang, ticket.id, seen)
        )
        return
    await _hand_back(ctx, query, ticket, _)


@routes.callback_query(SupCB.filter(F.a == "wdr"))
async def withdraw_button(query: CallbackQuery, callback_data: SupCB, ctx: AppContext, _: Translator) -> None:
    ticket = await _own_ticket(ctx, query, callback_data.t)
    if ticket.status == "taken" and ticket.assignee_id is not None:
        # The question was asked while nobody had answered; an agent has taken the ticket since and may be in the
        # middle of helping (outside tester: a stale Withdraw closed it under them). The prompt is redrawn to say
        # who is helping; ending the conversation stays one deliberate tap away: for a taken ticket, Back to the
        # bot hands back at once.
        agent = await agent_name(ctx, ticket.assignee_id)
        await query.answer(_.plain("support.ticket.withdraw_taken_toast", agent=agent))
        await edit_or_answer(
            query, _("support.ticket.withdraw_taken", agent=agent), views.back_to_bot_markup(_.lang, ticket.id)
        )
        return
    if ticket.active and await support.last_shopper_message(ctx.db, ticket.id) > callback_data.v:
        # They wrote to the team after the question was asked: they still want help, and withdrawing now would
        # strand that message in a ticket nobody acts on (outside tester). Keep it; ending it stays one tap away.
        await query.answer()
        await edit_or_answer(query, _("support.ticket.withdraw_kept"), views.back_to_bot_markup(_.lang, ticket.id))
        return
    # Confirmed while the request still waits for an agent (or it was closed meanwhile): withdrawn.
    await _hand_back(ctx, query, ticket, _)


@routes.callback_query(SupCB.filter(F.a == "wait"))
async def keep_waiting_button(query: CallbackQuery, callback_data: SupCB, ctx: AppContext, _: Translator) -> None:
    ticket = await _own_ticket(ctx, query, callback_data.t)
    await query.answer()
    if not ticket.active:  # an agent closed it meanwhile: the rating request is already in the chat
        await edit_or_answer(query, _("errors.ticket_closed"))
        return
    key = "support.ticket.keep_waiting" if ticket.status == "open" else "support.ticket.already_open"
    await edit_or_answer(query, _(key), views.back_to_bot_markup(_.lang, ticket.id))


async def _hand_back(ctx: AppContext, query: CallbackQuery, ticket: support.TicketInfo, _: Translator) -> None:
    closed = await support.close(ctx.db, ticket.id, closed_by=query.from_user.id, reason="shopper")
    await query.answer()
    if closed is not None:
        await refresh_card(ctx, ticket.id)
        await topic_note(ctx, closed, "support.topic.closed_by_shopper_note", ticket_id=ticket.id)
    await edit_or_answer(query, _("support.ticket.closed_by_shopper"))


@routes.callback_query(SupCB.filter(F.a == "rate"))
async def rate_button(query: CallbackQuery, callback_data: SupCB, ctx: AppContext, _: Translator) -> None:
    stored = await support.rate(ctx.db, callback_data.t, query.from_user.id, callback_data.v)
    if not stored:
        await query.answer(_("support.ticket.already_rated"))
        return
    await query.answer()
    if await support.active_ticket(ctx.db, query.from_user.id) is not None:
        # An earlier conversation's stars, tapped while a new one is open: what the shopper writes next belongs to
        # that conversation (relayed to its agent), so no comment is offered (outside tester).
        await edit_or_answer(query, _("support.ticket.rated_thanks"))
    else:
        # A comment only after «Add a comment»: the next message after the stars is often a new question, and no
        # rule on its wording tells feedback from a question reliably (outside tester).
        await edit_or_answer(query, _("support.ticket.rated"), views.comment_markup(_.lang, callback_data.t))
    ticket = await support.get_ticket(ctx.db, callback_data.t)
    await topic_note(ctx, ticket, "support.topic.rating_note", ticket_id=ticket.id, rating=callback_data.v)


async def _active_ticket_filter(message: Message, ctx: AppContext) -> bool | dict[str, Any]:
    """Messages (not commands) from a shopper who has an active ticket go to the agents."""
    if message.from_user is None or (message.text or "").startswith("/"):
        return False
    ticket = await support.active_ticket(ctx.db, message.from_user.id)
    return {"ticket": ticket} if ticket is not None and ticket.chat_id is not None else False


async def _relay_to_topic(ctx: AppContext, message: Message, ticket: support.TicketInfo) -> bool:
    chat_id = ticket.chat_id
    assert chat_id is not None
    thread_id = ticket.thread_id
    for attempt in range(2):
        try:
            await ctx.bot.copy_message(chat_id, message.chat.id, message.message_id, message_thread_id=thread_id)
            return True
        except TelegramBadRequest as exc:
            if attempt == 0 and thread_id is not None and thread_gone(exc):
                # Someone deleted the topic: open a new one with a fresh card and try again.
                thread_id = await create_topic(ctx, chat_id, ticket.user_id)
                ticket = await support.get_ticket(ctx.db, ticket.id)
                await post_ticket_card(ctx, ticket)
                continue
            log.warning("relay of a shopper message for ticket %s failed: %s", ticket.id, exc.message)
            break
        except TelegramRetryAfter:
            raise  # flood control outlasted the retries: another message to the same topic would meet it too
        except TelegramAPIError as exc:
            log.warning("relay of a shopper message for ticket %s failed: %s", ticket.id, exc)
            break
    # Not copyable (e.g. a poll): at least tell the agents what kind of message arrived.
    kind = t(views.staff_lang(ctx.settings), f"support.kind.{content_kind(message)}")
    try:
        await ctx.bot.send_message(
            chat_id,
            t(views.staff_lang(ctx.settings), "support.topic.relayed_kind", kind=kind),
            message_thread_id=thread_id,
        )
        return True
    except TelegramAPIError:
        return False


@routes.message(F.chat.type == "private", StateFilter(None), _active_ticket_filter)
async def shopper_message(
    message: Message,
    ctx: AppContext,
    ticket: support.TicketInfo,
    _: Translator,
    state: FSMContext,
    user_context: UserContextMiddleware | None = None,
) -> None:
    assert message.from_user is not None
    if message.text:
        # What the shopper writes in is the language support answers in (rating request, notices).
        _ = Translator(await follow_conversation(ctx, message.from_user.id, message.text, _.lang, user_context))
    if not await _relay_to_topic(ctx, message, ticket):
        await message.answer(_("support.ticket.relay_failed"))
        return
    await support.record_shopper_message(
        ctx.db,
        ticket.id,
        message.from_user.id,
        kind=content_kind(message),
        text=transcript_summary(message),
        reply_sla_minutes=ctx.settings.support.reply_sla_minutes,
    )
    data = await state.get_data()
    if data.get(support_chat.REMIND_KEY):
        # The shopper went to the menu or the catalog meanwhile and may think they talk to the bot again.
        await state.set_data({k: v for k, v in data.items() if k != support_chat.REMIND_KEY})
        await message.answer(
            _("support.ticket.still_with_team"), reply_markup=views.back_to_bot_markup(_.lang, ticket.id)
        )


@routes.my_chat_member(F.chat.type == "private")
async def shopper_left(event: ChatMemberUpdated, ctx: AppContext) -> None:
    # handlers.chat_member marks the user unreachable; this closes their ticket (see the report to the lead).
    if event.new_chat_member.status != "kicked":
        return
    await users.mark_unreachable(ctx.db, event.from_user.id)
    ticket = await support.active_ticket(ctx.db, event.from_user.id)
    if ticket is not None:
        await shopper_blocked(ctx, ticket.id)


# --- support-group side ---------------------------------------------------------------------------------


def _in_support_chat(message: Message, ctx: AppContext) -> bool:
    return ctx.settings.support.chat_id is not None and message.chat.id == ctx.settings.support.chat_id


def _desk_or_private(message: Message, ctx: AppContext) -> bool:
    """Staff commands work in the support group and in a private chat, never in shoppers' groups."""
    return message.chat.type == "private" or _in_support_chat(message, ctx)


async def _topic_ticket(ctx: AppContext, message: Message) -> tuple[int, support.TicketInfo | None] | None:
    if message.message_thread_id is None or not message.is_topic_message:
        return None
    return await support.ticket_in_topic(ctx.db, message.chat.id, message.message_thread_id)


@routes.message(Command("close"), _in_support_chat)
async def close_command(message: Message, ctx: AppContext) -> None:
    if message.from_user is None:
        return
    await require_agent(ctx, message.from_user.id)
    found = await _topic_ticket(ctx, message)
    staff = views.staff_lang(ctx.settings)
    if found is None:
        # General, or a topic that is not a shopper's: there is no ticket here to close (it is not "already closed").
        await message.reply(t(staff, "support.topic.no_ticket_here"))
        return
    if found[1] is None:
        await message.reply(t(staff, "support.topic.already_closed"))
        return
    await close_ticket(ctx, found[1].id, message.from_user.id)


@routes.message(Command("canned"), _desk_or_private)
async def canned_command(message: Message, command: CommandObject, ctx: AppContext, lang: str) -> None:
    if message.from_user is None:
        return
    await require_agent(ctx, message.from_user.id)
    staff = views.staff_lang(ctx.settings) if _in_support_chat(message, ctx) else lang
    name = (command.args or "").strip()
    if not name:
        replies = await support.list_canned(ctx.db)
        if not replies:
            await message.answer(t(staff, "support.canned.empty"))
            return
        items = "\n".join(
            t(staff, "support.canned.item", name=html.escape(c.name), text=html.escape(views.short(c.text(staff), 60)))
            for c in replies
        )
        await message.answer(t(staff, "support.canned.list", items=items))
        return
    found = await _topic_ticket(ctx, message) if _in_support_chat(message, ctx) else None
    # No active ticket because the shopper blocked the bot: the reply waits for them (bot.support_desk).
    ticket = None
    if found is not None:
        ticket = found[1] or await support.ticket_closed_by_block(ctx.db, found[0])
    if ticket is None:
        await message.reply(t(staff, "support.canned.only_in_topic"))
        return
    canned = await support.get_canned(ctx.db, name)
    if canned is None:
        await message.reply(t(staff, "support.canned.unknown", name=html.escape(name)))
        return
    shopper_lang = await shopper_language(ctx, ticket.user_id)
    text = canned.text(shopper_lang)
    reply = support.AgentReply("text", text, html.escape(text))
    if not ticket.active:
        if not await park_for_shopper(ctx, ticket, message.from_user.id, reply, message):
            await message.reply(t(staff, "support.topic.not_delivered"))  # they came back: the ticket is over
        return
    await deliver_waiting(ctx, ticket.user_id)  # what waited for them comes first
    agent_id = message.from_user.id
    label = await reply_label(ctx, ticket.user_id, agent_id)
    sent = await _send_to_shopper(
        ctx,
        ticket,
        lambda: send_signed(ctx, ticket.user_id, label, reply),
        waiting=(agent_id, reply, message),
    )
    if not sent:
        return
    await _agent_replied(ctx, ticket, message.from_user.id, kind="text", text=text)
    await message.reply(
        t(staff, "support.topic.canned_sent", name=html.escape(canned.name), text=html.escape(views.short(text, 200)))
    )


def _split_canned(args: str) -> tuple[str, str, str] | None:
    parts = [p.strip() for p in args.split("|")]
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]


@routes.message(Command("canned_add"), _desk_or_private)
async def canned_add(message: Message, command: CommandObject, ctx: AppContext, _: Translator) -> None:
    if message.from_user is None:
        return
    if not await has_role(ctx, message.from_user.id, "admin"):
        raise Forbidden("not_allowed", role="admin")
    parsed = _split_canned(command.args or "")
    if parsed is None:
        await message.answer(_("support.canned.usage_add"))
        return
    name, en, zh = parsed
    created = await support.save_canned(ctx.db, name, en, zh, by=message.from_user.id)
    key = "support.canned.saved" if created else "support.canned.updated"
    await message.answer(_(key, name=html.escape(support.normalize_canned_name(name))))


@routes.message(Command("canned_del"), _desk_or_private)
async def canned_del(message: Message, command: CommandObject, ctx: AppContext, _: Translator) -> None:
    if message.from_user is None:
        return
    if not await has_role(ctx, message.from_user.id, "admin"):
        raise Forbidden("not_allowed", role="admin")
    name = (command.args or "").strip()
    if not name:
        await message.answer(_("support.canned.usage_del"))
        return
    deleted = await support.delete_canned(ctx.db, name)
    key = "support.canned.deleted" if deleted else "support.canned.not_found"
    await message.answer(_(key, name=html.escape(name)))


async def _send_to_shopper(
    ctx: AppContext,
    ticket: support.TicketInfo,
    send: Any,
    *,
    waiting: tuple[int, support.AgentReply, Message] | None = None,
) -> bool:
    """Send to the shopper of an active ticket; Telegram's 403 means they blocked the bot, which closes the ticket
    (with a note). `waiting` (agent, reply, their message in the topic): an agent's reply, kept until the shopper
    comes back instead of lost (bot.support_desk.deliver_waiting)."""
    for attempt in range(2):
        attempted_at = utcnow()
        try:
            await send()
            return True
        except TelegramForbiddenError:
            if waiting is None:
                await users.mark_unreachable(ctx.db, ticket.user_id)
                break
            agent_id, reply, topic_message = waiting
            parked = await park_for_shopper(ctx, ticket, agent_id, reply, topic_message, attempted_at=attempted_at)
            if parked or attempt:
                break
            # Not kept: the shopper was seen after the send began (their /start raced it), so the refusal may be
            # stale: once more.
    await shopper_blocked(ctx, ticket.id)
    return False


async def _agent_replied(ctx: AppContext, ticket: support.TicketInfo, agent_id: int, *, kind: str, text: str) -> None:
    if ticket.status == "open":
        # Answering an untaken ticket takes it: the shopper now talks to this agent.
        await support.assign(ctx.db, ticket.id, agent_id, by=agent_id, only_if_open=True)
        await refresh_card(ctx, ticket.id)
    await support.record_agent_message(ctx.db, ticket.id, agent_id, kind=kind, text=text, note=False)


@routes.message(_in_support_chat, F.message_thread_id, F.content_type.in_(RELAYED))
async def agent_message(message: Message, ctx: AppContext) -> None:
    sender = message.from_user
    marker = ctx.settings.support.internal_marker
    body = (message.text or message.caption or "").lstrip()
    is_note = bool(marker) and body.startswith(marker)
    if sender is None or sender.is_bot or (body.startswith("/") and not is_note and message.text):
        return
    found = await _topic_ticket(ctx, message)
    if found is None or not await has_role(ctx, sender.id, "support"):
        return  # the General topic, or a member who is not an agent: staff chatter stays in the group
    _user_id, ticket = found
    summary = transcript_summary(message)
    if is_note:
        if ticket is not None:
            await support.record_agent_message(
                ctx.db, ticket.id, sender.id, kind=content_kind(message), text=summary, note=True
            )
        return
    reply = agent_reply_of(message)
    if ticket is None:
        # Blocking the bot closed their ticket: the reply waits for their return (and the agent is told so).
        blocked = await support.ticket_closed_by_block(ctx.db, _user_id)
        if blocked is None or not await park_for_shopper(ctx, blocked, sender.id, reply, message):
            await message.reply(t(views.staff_lang(ctx.settings), "support.topic.not_delivered"))
        return
    await deliver_waiting(ctx, ticket.user_id)  # replies that waited for them come first, in order
    label = await reply_label(ctx, ticket.user_id, sender.id)
    delivered = await _send_to_shopper(
        ctx, ticket, lambda: send_signed(ctx, ticket.user_id, label, reply), waiting=(sender.id, reply, message)
    )
    if delivered:
        await _agent_replied(ctx, ticket, sender.id, kind=content_kind(message), text=summary)


# --- card buttons (agents) ------------------------------------------------------------------------------


async def _agents(ctx: AppContext, chat_id: int) -> list[tuple[int, str]]:
    """Agents and admins who are in the support group (an agent elsewhere could not see the topic)."""
    ids = set(await users.users_with_role(ctx.db, "support")) | set(await users.users_with_role(ctx.db, "admin"))
    ids |= set(ctx.settings.admins)
    found: list[tuple[int, str]] = []
    for user_id in sorted(ids)[:MAX_AGENTS_LISTED]:
        try:
            member = await ctx.bot.get_chat_member(chat_id, user_id)
        except TelegramAPIError:
            continue
        if member.status in ("creator", "administrator", "member", "restricted"):
            found.append((user_id, member.user.full_name or str(user_id)))
    return sorted(found, key=lambda item: item[1].lower())


@routes.callback_query(SupCB.filter(F.a.in_({"take", "rel", "asg", "asgto", "close", "card"})))
async def card_button(query: CallbackQuery, callback_data: SupCB, ctx: AppContext) -> None:
    await require_agent(ctx, query.from_user.id)
    staff = views.staff_lang(ctx.settings)
    ticket = await support.get_ticket(ctx.db, callback_data.t)
    action = callback_data.a
    if not ticket.active:
        await query.answer(t(staff, "support.topic.already_closed"), show_alert=True)
        await refresh_card(ctx, ticket.id)
        return
    if action == "take":
        taken, changed = await support.assign(
            ctx.db, ticket.id, query.from_user.id, by=query.from_user.id, only_if_open=True
        )
        if not changed and taken.assignee_id not in (None, query.from_user.id):
            # Another agent took it first (a stale card, or two taps at once): theirs, not this agent's.
            other = await agent_name(ctx, taken.assignee_id)
            await query.answer(t(staff, "support.topic.taken_by_other", agent=other), show_alert=True)
            await refresh_card(ctx, ticket.id)
            return
        await query.answer(t(staff, "support.topic.taken_toast"))
        if changed:
            await refresh_card(ctx, ticket.id)
        if changed and ticket.status == "open":  # greeted once, by the take that took it
            lang = await shopper_language(ctx, ticket.user_id)
            await _send_to_shopper(
                ctx, ticket, lambda: ctx.bot.send_message(ticket.user_id, t(lang, "support.ticket.joined"))
            )
    elif action == "rel":
        is_admin = await has_role(ctx, query.from_user.id, "admin")
        if not await support.release(ctx.db, ticket.id, query.from_user.id, may_release_others=is_admin):
            await query.answer(t(staff, "support.topic.not_yours"), show_alert=True)
            await refresh_card(ctx, ticket.id)
            return
        await query.answer(t(staff, "support.topic.released_toast"))
        await refresh_card(ctx, ticket.id)
    elif action == "asg":
        await query.answer()
        agents = await _agents(ctx, ticket.chat_id or 0)
        if not agents:
            await query.answer(t(staff, "support.topic.no_agents"), show_alert=True)
            return
        message = query.message
        if message is not None and not isinstance(message, InaccessibleMessage):
            await message.edit_reply_markup(reply_markup=views.agents_markup(staff, ticket.id, agents))
    elif action == "asgto":
        target = callback_data.v
        if not await has_role(ctx, target, "support"):
            raise Forbidden("not_an_agent")
        was_open = ticket.status == "open"
        _info, changed = await support.assign(ctx.db, ticket.id, target, by=query.from_user.id)
        name = await agent_name(ctx, target)
        await query.answer(
            t(staff, "support.topic.assigned_toast" if changed else "support.topic.already_yours", agent=name)
        )
        await refresh_card(ctx, ticket.id)
        if changed:
            await topic_note(
                ctx, ticket, "support.topic.assigned_note", ticket_id=ticket.id, agent=views.mention(target, name)
            )
        if was_open:
            lang = await shopper_language(ctx, ticket.user_id)
            await _send_to_shopper(
                ctx, ticket, lambda: ctx.bot.send_message(ticket.user_id, t(lang, "support.ticket.joined"))
            )
    elif action == "close":
        await query.answer(t(staff, "support.topic.closed_toast"))
        await close_ticket(ctx, ticket.id, query.from_user.id)
    else:  # "card": back from the agent list
        await query.answer()
        await refresh_card(ctx, ticket.id)


# --- statistics (/admin section and /support_stats) -----------------------------------------------------


async def _stats_view(ctx: AppContext, lang: str, days: int) -> tuple[str, InlineKeyboardMarkup]:
    days = days if days in (7, 30) else 7
    stats = await support.stats(ctx.db, days)
    return views.stats_text(lang, stats), views.stats_markup(lang, days)


@routes.message(Command("support_stats"), _desk_or_private)
async def stats_command(message: Message, command: CommandObject, ctx: AppContext, lang: str) -> None:
    if message.from_user is None:
        return
    await require_agent(ctx, message.from_user.id)
    days = 30 if (command.args or "").strip() == "30" else 7
    text, markup = await _stats_view(ctx, lang, days)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(SupStatsCB.filter())
async def stats_button(query: CallbackQuery, callback_data: SupStatsCB, ctx: AppContext, lang: str) -> None:
    await require_agent(ctx, query.from_user.id)
    await query.answer()
    text, markup = await _stats_view(ctx, lang, callback_data.days)
    await edit_or_answer(query, text, markup)


@routes.callback_query(AdminMenuCB.filter(F.section == "support"))
async def admin_section(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    """The /admin menu's Support button: ticket statistics over 7 days (30 with a tap)."""
    await require_agent(ctx, query.from_user.id)
    with contextlib.suppress(TelegramBadRequest):
        await query.answer()
    text, markup = await _stats_view(ctx, lang, 7)
    await edit_or_answer(query, text, markup)


def setup() -> Router:
    return routes.build()
