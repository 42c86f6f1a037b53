"""Customer service: tickets and their forum topics, assignment, transcripts, ratings, canned replies,
SLA events and statistics.

A ticket is `open` until an agent takes it, `taken` while an agent talks to the shopper, then `closed`.
A shopper has at most one active ticket (a partial unique index), and one forum topic in the support
group that every later ticket reuses. Telegram calls (creating the topic, relaying messages) belong to
bot/; this module only records what happened and schedules the SLA events as rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Exists, and_, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store import audit, reachability, scheduling, users
from store.db import Database, rowcount
from store.errors import Conflict, DomainError, Forbidden, NotFound
from store.models import CartItem, Order, OrderEvent, Product, User, utcnow
from store.models.support import (
    ACTIVE_STATUSES,
    AssistantTurn,
    CannedReply,
    SupportMessage,
    SupportTicket,
    SupportTopic,
    SupportWaitingReply,
)
from store.orders import DELIVERED, PAID_STATUSES, return_window_cutoff
from store.text_units import utf16_length

TAKE_SLA = "support_take"
REPLY_SLA = "support_reply"
HISTORY_KEEP = 20  # about ten shopper/bot exchanges
MISS_INTENTS = ("fallback_rephrase", "fallback_human")
CANNED_NAME_MAX = 32
CANNED_TEXT_MAX = 3500  # in UTF-16 code units, as Telegram counts: with the agent's signature it fits one message
MESSAGE_TEXT_MAX = 4000
# Closed by a person (agent or shopper); tickets closed because the shopper blocked the bot or the support
# group could not be reached say nothing about resolution time.
RESOLVED = ("agent", "shopper")


@dataclass(frozen=True)
class TicketInfo:
    id: int
    user_id: int
    status: str
    reason: str
    order_id: int | None
    assignee_id: int | None
    chat_id: int | None
    thread_id: int | None
    card_message_id: int | None
    opened_at: datetime
    taken_at: datetime | None
    first_response_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None
    rating: int | None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


def _info(t: SupportTicket) -> TicketInfo:
    return TicketInfo(
        id=t.id,
        user_id=t.user_id,
        status=t.status,
        reason=t.reason,
        order_id=t.order_id,
        assignee_id=t.assignee_id,
        chat_id=t.chat_id,
        thread_id=t.thread_id,
        card_message_id=t.card_message_id,
        opened_at=t.opened_at,
        taken_at=t.taken_at,
        first_response_at=t.first_response_at,
        closed_at=t.closed_at,
        close_reason=t.close_reason,
        rating=t.rating,
    )


@dataclass(frozen=True)
class OpenResult:
    ticket: TicketInfo
    created: bool  # False: the shopper already had an active ticket


def _take_key(ticket_id: int) -> str:
    return f"{TAKE_SLA}:{ticket_id}"


def _reply_key(ticket_id: int) -> str:
    return f"{REPLY_SLA}:{ticket_id}"


async def _active_row(session: AsyncSession, user_id: int) -> SupportTicket | None:
    query = select(SupportTicket).where(SupportTicket.user_id == user_id, SupportTicket.status.in_(ACTIVE_STATUSES))
    return (await session.execute(query)).scalar_one_or_none()


async def _row(session: AsyncSession, ticket_id: int) -> SupportTicket:
    ticket = await session.get(SupportTicket, ticket_id, populate_existing=True)
    if ticket is None:
        raise NotFound("ticket_not_found")
    return ticket


# --- tickets -------------------------------------------------------------------------------------------


async def open_ticket(
    db: Database,
    user_id: int,
    *,
    support_chat_id: int,
    take_sla_minutes: int,
    reason: str = "request",
    order_id: int | None = None,
) -> OpenResult:
    """Open a ticket for the shopper, or return the active one (a second tap opens nothing).

    The ticket starts in the shopper's existing topic when they have one in this support chat; the caller
    creates a topic otherwise (`set_topic`). The take-SLA event is scheduled here.
    """
    for _attempt in range(2):
        try:
            async with db.tx() as session:
                existing = await _active_row(session, user_id)
                if existing is not None:
                    if order_id is not None and existing.order_id is None:
                        existing.order_id = order_id
                    return OpenResult(_info(existing), created=False)
                topic = await session.get(SupportTopic, user_id)
                thread_id = topic.thread_id if topic is not None and topic.chat_id == support_chat_id else None
                now = utcnow()
                ticket = SupportTicket(
                    user_id=user_id,
                    status="open",
                    reason=reason[:24],
                    order_id=order_id,
                    chat_id=support_chat_id,
                    thread_id=thread_id,
                    opened_at=now,
                )
                session.add(ticket)
                await session.flush()
                await scheduling.schedule(
                    session, TAKE_SLA, ticket.id, now + timedelta(minutes=take_sla_minutes), key=_take_key(ticket.id)
                )
                return OpenResult(_info(ticket), created=True)
        except IntegrityError:
            # Another process opened one at the same moment (PostgreSQL): return theirs.
            continue
    ticket_info = await active_ticket(db, user_id)
    if ticket_info is None:
        raise Conflict("ticket_busy")
    return OpenResult(ticket_info, created=False)


@dataclass(frozen=True)
class HandOver:
    """The outcome of asking for a person: a new ticket whose card the desk shows, the ticket already open, or
    no desk to hand over to (the card could not be posted, so the ticket was closed again)."""

    ticket: TicketInfo | None
    status: str  # "opened" | "already_open" | "unavailable"


async def hand_over(
    db: Database,
    user_id: int,
    *,
    support_chat_id: int,
    take_sla_minutes: int,
    show_card: Callable[[TicketInfo], Awaitable[bool]],
    reason: str = "request",
    order_id: int | None = None,
) -> HandOver:
    """The use case "talk to a person": open (or find) the shopper's ticket and have the desk show its card.
    `show_card` is the transport's part (posting the card in the support group); when it fails, the ticket is
    closed again so no shopper waits on a ticket no agent can see."""
    result = await open_ticket(
        db,
        user_id,
        support_chat_id=support_chat_id,
        take_sla_minutes=take_sla_minutes,
        reason=reason,
        order_id=order_id,
    )
    if not result.created:
        return HandOver(result.ticket, "already_open")
    if not await show_card(result.ticket):
        await close(db, result.ticket.id, closed_by=None, reason="unreachable_desk")
        return HandOver(None, "unavailable")
    return HandOver(result.ticket, "opened")


async def set_topic(db: Database, user_id: int, chat_id: int, thread_id: int) -> None:
    """Remember the shopper's topic (a new one replaces a deleted one) and move the active ticket there."""
    async with db.tx() as session:
        topic = await session.get(SupportTopic, user_id)
        if topic is None:
            session.add(SupportTopic(user_id=user_id, chat_id=chat_id, thread_id=thread_id))
        else:
            topic.chat_id = chat_id
            topic.thread_id = thread_id
            topic.title_erased = False  # a new topic is created under the shopper's name
        ticket = await _active_row(session, user_id)
        if ticket is not None:
            ticket.chat_id = chat_id
            ticket.thread_id = thread_id


async def topic_to_anonymise(db: Database, user_id: int) -> tuple[int, int] | None:
    """The shopper's topic if its title may still show their name, marked as erased from now on (the caller
    renames it); None when there is no topic or an earlier /forgetme already renamed it."""
    async with db.tx() as session:
        topic = await session.get(SupportTopic, user_id)
        if topic is None or topic.title_erased:
            return None
        topic.title_erased = True
        return topic.chat_id, topic.thread_id


async def topic_of(db: Database, user_id: int) -> tuple[int, int] | None:
    async with db.read() as session:
        topic = await session.get(SupportTopic, user_id)
        return (topic.chat_id, topic.thread_id) if topic is not None else None


async def set_card(db: Database, ticket_id: int, message_id: int) -> None:
    async with db.tx() as session:
        ticket = await _row(session, ticket_id)
        ticket.card_message_id = message_id


async def get_ticket(db: Database, ticket_id: int) -> TicketInfo:
    async with db.read() as session:
        return _info(await _row(session, ticket_id))


async def active_ticket(db: Database, user_id: int) -> TicketInfo | None:
    async with db.read() as session:
        row = await _active_row(session, user_id)
        return _info(row) if row is not None else None


async def ticket_in_topic(db: Database, chat_id: int, thread_id: int) -> tuple[int, TicketInfo | None] | None:
    """(shopper id, their active ticket or None) for a support topic; None when the topic is not a shopper's."""
    async with db.read() as session:
        topic = (
            await session.execute(
                select(SupportTopic).where(SupportTopic.chat_id == chat_id, SupportTopic.thread_id == thread_id)
            )
        ).scalar_one_or_none()
        if topic is None:
            return None
        row = await _active_row(session, topic.user_id)
        return topic.user_id, (_info(row) if row is not None else None)


async def assign(
    db: Database, ticket_id: int, agent_id: int, *, by: int | None = None, only_if_open: bool = False
) -> tuple[TicketInfo, bool]:
    """Give the ticket to `agent_id` (Take over: by = the agent; Assign to: by = who assigned).

    Returns (ticket, changed); assigning to the current assignee again changes nothing. `only_if_open`: only an
    untaken ticket (Take over, or an agent answering in the topic): of two agents taking it at once one gets it,
    and the other sees who did (both were told "yours", and the shopper was greeted twice). The caller checks
    roles (bot.access); a closed ticket cannot be taken.
    """
    async with db.tx() as session:
        now = utcnow()
        result = await session.execute(
            update(SupportTicket)
            .where(SupportTicket.id == ticket_id, SupportTicket.status.in_(ACTIVE_STATUSES))
            .where(
                SupportTicket.assignee_id.is_(None)
                if only_if_open
                else (SupportTicket.assignee_id.is_(None)) | (SupportTicket.assignee_id != agent_id)
            )
            .values(
                status="taken",
                assignee_id=agent_id,
                taken_at=func.coalesce(SupportTicket.taken_at, now),
            )
        )
        ticket = await _row(session, ticket_id)
        if not rowcount(result):
            if ticket.status == "closed":
                raise Conflict("ticket_closed")
            return _info(ticket), False
        await scheduling.cancel(session, _take_key(ticket_id))
        await audit.record(
            session,
            actor_id=by,
            actor_role="support" if by is not None else audit.SYSTEM,
            action="support.take" if by == agent_id else "support.assign",
            target=f"ticket:{ticket_id}",
            after={"assignee": agent_id},
        )
        return _info(ticket), True


async def release(db: Database, ticket_id: int, agent_id: int, *, may_release_others: bool = False) -> bool:
    """Give a taken ticket back to the queue (Release): it waits for an agent again. Only its assignee releases
    it unless `may_release_others` (an admin); False when it was not taken by them (nothing changed)."""
    async with db.tx() as session:
        query = update(SupportTicket).where(SupportTicket.id == ticket_id, SupportTicket.status == "taken")
        if not may_release_others:
            query = query.where(SupportTicket.assignee_id == agent_id)
        result = await session.execute(query.values(status="open", assignee_id=None))
        if not rowcount(result):
            return False
        await audit.record(
            session,
            actor_id=agent_id,
            actor_role="support",
            action="support.release",
            target=f"ticket:{ticket_id}",
            before={"status": "taken"},
            after={"status": "open"},
        )
        return True


async def _close_active(session: AsyncSession, ticket_id: int, reason: str, **values: Any) -> bool:
    """Close the ticket if it is still open or taken, in one conditional update, and drop its SLA events; False
    when it was closed already. `values`: more columns set with it (who closed it)."""
    result = await session.execute(
        update(SupportTicket)
        .where(SupportTicket.id == ticket_id, SupportTicket.status.in_(ACTIVE_STATUSES))
        .values(status="closed", closed_at=utcnow(), close_reason=reason[:24], waiting_since=None, **values)
    )
    if not rowcount(result):
        return False
    await scheduling.cancel(session, _take_key(ticket_id))
    await scheduling.cancel(session, _reply_key(ticket_id))
    return True


async def close(db: Database, ticket_id: int, *, closed_by: int | None, reason: str) -> TicketInfo | None:
    """Close the ticket and hand the shopper back to the bot; None when it was closed already."""
    async with db.tx() as session:
        if not await _close_active(session, ticket_id, reason, closed_by=closed_by):
            await _row(session, ticket_id)  # NotFound for a wrong id
            return None
        row = await _row(session, ticket_id)
        if closed_by is not None and closed_by != row.user_id:
            # Staff handing the shopper back to the bot (a shopper closing their own ticket is not a staff act).
            await audit.record(
                session,
                actor_id=closed_by,
                actor_role="support",
                action="support.hand_back",
                target=f"ticket:{ticket_id}",
                after={"status": "closed", "reason": reason[:24]},
            )
        return _info(row)


async def rate(db: Database, ticket_id: int, user_id: int, rating: int) -> bool:
    """The shopper's 1-5 rating of a closed ticket; False when already rated (a double tap)."""
    if not 1 <= rating <= 5:
        raise DomainError("bad_rating")
    async with db.tx() as session:
        ticket = await _row(session, ticket_id)
        if ticket.user_id != user_id:
            raise Forbidden("not_your_ticket")
        if ticket.status != "closed":
            raise Conflict("ticket_not_closed")
        result = await session.execute(
            update(SupportTicket)
            .where(SupportTicket.id == ticket_id, SupportTicket.rating.is_(None))
            .values(rating=rating, rated_at=utcnow())
        )
        return bool(rowcount(result))


async def comment(db: Database, ticket_id: int, user_id: int, text: str) -> None:
    async with db.tx() as session:
        ticket = await _row(session, ticket_id)
        if ticket.user_id != user_id:
            raise Forbidden("not_your_ticket")
        ticket.rating_comment = text.strip()[:1000] or None


# --- transcripts ---------------------------------------------------------------------------------------


async def record_shopper_message(
    db: Database, ticket_id: int, user_id: int, *, kind: str, text: str, reply_sla_minutes: int
) -> None:
    """A shopper message relayed to the topic; while an agent has the ticket, the reply SLA starts ticking
    from the oldest unanswered message."""
    async with db.tx() as session:
        ticket = await _row(session, ticket_id)
        session.add(
            SupportMessage(
                ticket_id=ticket_id, author_id=user_id, role="shopper", kind=kind, text=text[:MESSAGE_TEXT_MAX]
            )
        )
        if ticket.status == "taken" and ticket.waiting_since is None:
            now = utcnow()
            ticket.waiting_since = now
            await scheduling.schedule(
                session, REPLY_SLA, ticket_id, now + timedelta(minutes=reply_sla_minutes), key=_reply_key(ticket_id)
            )


async def last_shopper_message(db: Database, ticket_id: int) -> int:
    """Id of the ticket's newest shopper message, 0 when there is none. Ids only grow, so a question drawn with
    this number can tell later whether the shopper wrote since (clocks could tie within one tick)."""
    async with db.read() as session:
        newest = await session.scalar(
            select(func.max(SupportMessage.id)).where(
                SupportMessage.ticket_id == ticket_id, SupportMessage.role == "shopper"
            )
        )
        return int(newest or 0)


async def record_agent_message(
    db: Database, ticket_id: int, agent_id: int, *, kind: str, text: str, note: bool
) -> None:
    """An agent's reply relayed to the shopper (or an internal note, which answers nobody)."""
    async with db.tx() as session:
        ticket = await _row(session, ticket_id)
        session.add(
            SupportMessage(
                ticket_id=ticket_id,
                author_id=agent_id,
                role="note" if note else "agent",
                kind=kind,
                text=text[:MESSAGE_TEXT_MAX],
            )
        )
        if note:
            return
        await _answered(session, ticket)


async def _answered(session: AsyncSession, ticket: SupportTicket) -> None:
    """An agent's reply reached the shopper: first response time, and the reply SLA stops."""
    if ticket.first_response_at is None:
        ticket.first_response_at = utcnow()
    ticket.waiting_since = None
    await scheduling.cancel(session, _reply_key(ticket.id))


# --- replies waiting for a shopper who blocked the bot ---------------------------------------------------


# A waiting reply: waiting -> sending (claimed) -> delivered, or back to waiting; failed or expired end it.
WAITING, SENDING, SENT, FAILED, EXPIRED = "waiting", "sending", "delivered", "failed", "expired"
# A claim older than this was abandoned by a process that died mid-delivery: the next claim takes it again.
WAITING_LEASE = timedelta(minutes=5)
# An answer older than this is history rather than news (the shopper can ask again): dropped, not delivered.
WAITING_KEEP = timedelta(days=30)


@dataclass(frozen=True)
class AgentReply:
    """An agent's reply as needed to send it again later: its text or caption as shown (what Telegram counts), the
    same as HTML (to sign it) and the agent's message in the topic (copied when it is not plain text)."""

    kind: str
    text: str
    html: str
    from_chat_id: int | None = None
    from_message_id: int | None = None


@dataclass(frozen=True)
class WaitingReply:
    id: int
    ticket_id: int
    agent_id: int
    reply: AgentReply


async def ticket_closed_by_block(db: Database, user_id: int) -> TicketInfo | None:
    """The shopper's latest ticket when blocking the bot closed it: an agent answering in their topic is answering
    that conversation, and the reply waits for them. None when a ticket is active or ended otherwise."""
    async with db.read() as session:
        row = await session.scalar(
            select(SupportTicket).where(SupportTicket.user_id == user_id).order_by(SupportTicket.id.desc()).limit(1)
        )
        if row is None or row.status != "closed" or row.close_reason != "blocked":
            return None
        return _info(row)


async def park_reply(
    db: Database, ticket_id: int, agent_id: int, reply: AgentReply, *, attempted_at: datetime | None = None
) -> bool:
    """Keep the reply for the ticket's shopper while they cannot be reached; False (nothing kept) when they can.

    `attempted_at`: Telegram refused (403) a send that started then (see `reachability.locked_user`). A return
    commits either before (nothing parks: the caller sends) or after (it finds this row to deliver): no reply is
    stranded."""
    async with db.tx() as session:
        ticket = await _row(session, ticket_id)
        user = await reachability.locked_user(session, ticket.user_id, attempted_at)
        if user is None or not user.unreachable:
            return False
        session.add(
            SupportWaitingReply(
                ticket_id=ticket_id,
                user_id=ticket.user_id,
                agent_id=agent_id,
                kind=reply.kind[:16],
                text=reply.text,
                html=reply.html,
                from_chat_id=reply.from_chat_id,
                from_message_id=reply.from_message_id,
                status=WAITING,
            )
        )
    reachability.note_unreachable(ticket.user_id)
    return True


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        SupportWaitingReply.status == WAITING,
        and_(SupportWaitingReply.status == SENDING, SupportWaitingReply.claimed_at < now - WAITING_LEASE),
    )


async def claim_waiting(db: Database, user_id: int, *, now: datetime | None = None) -> list[WaitingReply]:
    """The replies waiting for a shopper who can be reached again, oldest first, each handed out once: a second
    return, or another process seeing the same return, gets nothing (one conditional update, user row locked).
    The caller sends them and reports each with `reply_delivered`, `release_waiting` or `reply_failed`."""
    now = now or utcnow()
    async with db.read() as session:  # most returns have nothing waiting: no write for them
        first = await session.scalar(
            select(SupportWaitingReply.id).where(SupportWaitingReply.user_id == user_id, _due(now)).limit(1)
        )
    if first is None:
        return []
    async with db.tx() as session:
        user = await reachability.locked_user(session, user_id, None)
        if user is None or user.unreachable:
            return []  # blocked again meanwhile: the replies keep waiting
        mine = (SupportWaitingReply.user_id == user_id, _due(now))
        await session.execute(
            update(SupportWaitingReply)
            .where(*mine, SupportWaitingReply.created_at < now - WAITING_KEEP)
            .values(status=EXPIRED, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        w = SupportWaitingReply
        rows = await session.execute(
            update(w)
            .where(*mine)
            .values(status=SENDING, claimed_at=now)
            .returning(w.id, w.ticket_id, w.agent_id, w.kind, w.text, w.html, w.from_chat_id, w.from_message_id)
            .execution_options(synchronize_session=False)
        )
        # RETURNING does not promise an order; replies go out as the agent wrote them.
        return [
            WaitingReply(
                r.id, r.ticket_id, r.agent_id, AgentReply(r.kind, r.text, r.html, r.from_chat_id, r.from_message_id)
            )
            for r in sorted(rows.all(), key=lambda r: r.id)
        ]


async def reply_delivered(db: Database, reply_id: int) -> None:
    """A waiting reply reached the shopper: it joins the ticket's transcript (and, on a ticket still active, counts
    as the agent's answer)."""
    async with db.tx() as session:
        row = await session.get(SupportWaitingReply, reply_id)
        if row is None:
            return
        row.status, row.delivered_at = SENT, utcnow()
        session.add(
            SupportMessage(
                ticket_id=row.ticket_id,
                author_id=row.agent_id,
                role="agent",
                kind=row.kind,
                text=row.text[:MESSAGE_TEXT_MAX],
            )
        )
        ticket = await _row(session, row.ticket_id)
        if ticket.status in ACTIVE_STATUSES:
            await _answered(session, ticket)


async def release_waiting(db: Database, reply_ids: list[int]) -> None:
    """Claimed replies that were not sent (the shopper blocked the bot again, or Telegram was busy) wait again."""
    if not reply_ids:
        return
    async with db.tx() as session:
        await session.execute(
            update(SupportWaitingReply)
            .where(SupportWaitingReply.id.in_(reply_ids), SupportWaitingReply.status == SENDING)
            .values(status=WAITING, claimed_at=None)
        )


async def reply_failed(db: Database, reply_id: int) -> None:
    """Telegram refused the reply for good (e.g. the agent deleted their message meanwhile): not tried again."""
    async with db.tx() as session:
        await session.execute(
            update(SupportWaitingReply).where(SupportWaitingReply.id == reply_id).values(status=FAILED)
        )


@dataclass(frozen=True)
class TranscriptLine:
    role: str
    kind: str
    text: str
    at: datetime


async def transcript(db: Database, ticket_id: int) -> list[TranscriptLine]:
    async with db.read() as session:
        rows = await session.execute(
            select(SupportMessage).where(SupportMessage.ticket_id == ticket_id).order_by(SupportMessage.id)
        )
        return [TranscriptLine(m.role, m.kind, m.text, m.created_at) for m in rows.scalars()]


# --- the assistant's conversation ----------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    id: int
    role: str
    text: str
    intent: str | None
    at: datetime


async def record_turn(db: Database, user_id: int, role: str, text: str, intent: str | None = None) -> int:
    """Append a shopper or bot turn and keep only the last HISTORY_KEEP turns of this shopper."""
    async with db.tx() as session:
        turn = AssistantTurn(user_id=user_id, role=role, text=text[:MESSAGE_TEXT_MAX], intent=intent)
        session.add(turn)
        await session.flush()
        keep = (
            select(AssistantTurn.id)
            .where(AssistantTurn.user_id == user_id)
            .order_by(AssistantTurn.id.desc())
            .limit(HISTORY_KEEP)
        )
        oldest_kept = (await session.execute(select(func.min(keep.subquery().c.id)))).scalar_one()
        await session.execute(
            delete(AssistantTurn).where(AssistantTurn.user_id == user_id, AssistantTurn.id < oldest_kept)
        )
        return turn.id


async def recent_turns(db: Database, user_id: int, limit: int = HISTORY_KEEP) -> list[Turn]:
    async with db.read() as session:
        rows = await session.execute(
            select(AssistantTurn).where(AssistantTurn.user_id == user_id).order_by(AssistantTurn.id.desc()).limit(limit)
        )
        turns = [Turn(r.id, r.role, r.text, r.intent, r.created_at) for r in rows.scalars()]
    return list(reversed(turns))


async def get_turn(db: Database, turn_id: int, user_id: int) -> Turn | None:
    """A shopper's own turn (the text behind a "Search" button); another shopper's id gives None."""
    async with db.read() as session:
        row = await session.get(AssistantTurn, turn_id)
        if row is None or row.user_id != user_id:
            return None
        return Turn(row.id, row.role, row.text, row.intent, row.created_at)


async def consecutive_misses(db: Database, user_id: int) -> int:
    """How many of the bot's latest answers in a row were "I did not understand"."""
    async with db.read() as session:
        rows = await session.execute(
            select(AssistantTurn.intent)
            .where(AssistantTurn.user_id == user_id, AssistantTurn.role == "bot")
            .order_by(AssistantTurn.id.desc())
            .limit(HISTORY_KEEP)
        )
        misses = 0
        for intent in rows.scalars():
            if intent not in MISS_INTENTS:
                break
            misses += 1
        return misses


# --- what the card shows about the shopper ------------------------------------------------------------


@dataclass(frozen=True)
class OrderLine:
    id: int
    status: str
    total: int
    currency: str
    created_at: datetime
    note: str | None
    items: int
    delivery_method: str = "delivery"  # a pickup order that reached "delivered" was collected (agents say so)


@dataclass(frozen=True)
class CartLine:
    title_en: str
    title_zh: str
    quantity: int


@dataclass(frozen=True)
class ShopperSnapshot:
    user_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language: str
    unreachable: bool
    orders: list[OrderLine] = field(default_factory=list)
    cart: list[CartLine] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)


async def recent_orders(db: Database, user_id: int, limit: int = 5) -> list[OrderLine]:
    async with db.read() as session:
        return await _recent_orders(session, user_id, limit)


async def refundable_orders(
    db: Database, user_id: int, limit: int = 5, *, return_days: int | None = None
) -> list[OrderLine]:
    """The shopper's newest orders a refund can be asked for, newest first: paid or shipped, and delivered ones
    while their return window is open (`return_days` after delivery; None: whenever delivered)."""
    window = None
    if return_days is not None:
        window = or_(Order.status != DELIVERED, ~_delivered_before(return_window_cutoff(return_days)))
    async with db.read() as session:
        return await _recent_orders(session, user_id, limit, statuses=PAID_STATUSES, also=window)


def _delivered_before(moment: datetime) -> Exists:
    return exists().where(OrderEvent.order_id == Order.id, OrderEvent.to_status == DELIVERED, OrderEvent.at < moment)


async def delivered_at(db: Database, order_id: int) -> datetime | None:
    """When the order was delivered (or collected), None while it is not: the start of its return window."""
    async with db.read() as session:
        return await session.scalar(
            select(func.max(OrderEvent.at)).where(OrderEvent.order_id == order_id, OrderEvent.to_status == DELIVERED)
        )


async def _recent_orders(
    session: AsyncSession,
    user_id: int,
    limit: int,
    *,
    statuses: Iterable[str] | None = None,
    also: ColumnElement[bool] | None = None,
) -> list[OrderLine]:
    from store.models import OrderItem

    items = (
        select(func.coalesce(func.sum(OrderItem.quantity), 0))
        .where(OrderItem.order_id == Order.id)
        .correlate(Order)
        .scalar_subquery()
    )
    query = select(Order, items).where(Order.user_id == user_id)
    if statuses is not None:
        query = query.where(Order.status.in_(list(statuses)))
    if also is not None:
        query = query.where(also)
    rows = await session.execute(query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit))
    return [
        OrderLine(o.id, o.status, o.total, o.currency, o.created_at, o.note, int(count or 0), o.delivery_method)
        for o, count in rows.all()
    ]


async def order_of(db: Database, user_id: int, order_id: int) -> OrderLine | None:
    """One of the shopper's own orders; another shopper's order id gives None."""
    async with db.read() as session:
        order = await session.get(Order, order_id)
        if order is None or order.user_id != user_id:
            return None
        return OrderLine(
            order.id, order.status, order.total, order.currency, order.created_at, order.note, 0, order.delivery_method
        )


async def snapshot(db: Database, user_id: int, *, orders: int = 3) -> ShopperSnapshot:
    async with db.read() as session:
        user = await session.get(User, user_id)
        if user is None:
            raise NotFound("unknown_user")
        order_lines = await _recent_orders(session, user_id, orders)
        cart_rows = await session.execute(
            select(Product.title_en, Product.title_zh, CartItem.quantity)
            .join(Product, Product.id == CartItem.product_id)
            .where(CartItem.user_id == user_id)
            .order_by(CartItem.added_at)
        )
        cart = [CartLine(en, zh, qty) for en, zh, qty in cart_rows.all()]
        user_info = (user.first_name, user.last_name, user.username, users.support_language(user), user.unreachable)
    turns = await recent_turns(db, user_id)
    first, last, username, language, unreachable = user_info
    return ShopperSnapshot(user_id, first, last, username, language, unreachable, order_lines, cart, turns)


# --- canned replies -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Canned:
    name: str
    text_en: str
    text_zh: str

    def text(self, lang: str) -> str:
        return self.text_zh if lang == "zh" else self.text_en


def normalize_canned_name(name: str) -> str:
    cleaned = name.strip().lower()
    if not cleaned or len(cleaned) > CANNED_NAME_MAX or not all(c.isalnum() or c in "_-" for c in cleaned):
        raise DomainError("bad_canned_name", max=CANNED_NAME_MAX)
    return cleaned


async def save_canned(db: Database, name: str, text_en: str, text_zh: str, *, by: int | None) -> bool:
    """Add or replace a canned reply; True when it is new."""
    key = normalize_canned_name(name)
    en, zh = text_en.strip(), text_zh.strip()
    if not en or not zh:
        raise DomainError("canned_needs_both")
    if utf16_length(en) > CANNED_TEXT_MAX or utf16_length(zh) > CANNED_TEXT_MAX:
        raise DomainError("canned_too_long", max=CANNED_TEXT_MAX)
    async with db.tx() as session:
        row = await session.get(CannedReply, key)
        if row is None:
            session.add(CannedReply(name=key, text_en=en, text_zh=zh, created_by=by))
            return True
        row.text_en, row.text_zh, row.created_by = en, zh, by
        return False


async def delete_canned(db: Database, name: str) -> bool:
    async with db.tx() as session:
        result = await session.execute(delete(CannedReply).where(CannedReply.name == name.strip().lower()))
        return bool(rowcount(result))


async def get_canned(db: Database, name: str) -> Canned | None:
    async with db.read() as session:
        row = await session.get(CannedReply, name.strip().lower())
        return Canned(row.name, row.text_en, row.text_zh) if row is not None else None


async def list_canned(db: Database) -> list[Canned]:
    async with db.read() as session:
        rows = await session.execute(select(CannedReply).order_by(CannedReply.name))
        return [Canned(r.name, r.text_en, r.text_zh) for r in rows.scalars()]


# --- SLA events (run inside the scheduler's claiming transaction) ---------------------------------------


async def untaken_ticket(session: AsyncSession, ticket_id: int) -> TicketInfo | None:
    """The ticket when nobody has taken it yet (the take-SLA ping is due), else None."""
    ticket = await session.get(SupportTicket, int(ticket_id), populate_existing=True)
    if ticket is None or ticket.status != "open":
        return None
    return _info(ticket)


async def unanswered_ticket(session: AsyncSession, ticket_id: int) -> tuple[TicketInfo, datetime] | None:
    """(ticket, waiting since) when a taken ticket's shopper still waits for an agent's reply, else None."""
    ticket = await session.get(SupportTicket, int(ticket_id), populate_existing=True)
    if ticket is None or ticket.status != "taken" or ticket.waiting_since is None:
        return None
    return _info(ticket), ticket.waiting_since


async def shopper_unreachable(session: AsyncSession, user_id: int) -> bool:
    user = await session.get(User, user_id)
    return bool(user is not None and user.unreachable)


async def close_in_session(session: AsyncSession, ticket_id: int, *, reason: str) -> bool:
    """Close from a scheduled event (the shopper turned out to have blocked the bot)."""
    return await _close_active(session, ticket_id, reason)


# --- statistics -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupportStats:
    days: int
    opened: int
    open_now: int
    closed: int
    avg_first_response_seconds: float | None
    avg_resolution_seconds: float | None
    avg_rating: float | None
    rated: int


async def stats(db: Database, days: int, *, now: datetime | None = None) -> SupportStats:
    """Tickets opened in the last `days` days: first-response and resolution times, ratings; plus how many
    tickets are open right now. Averages are computed here so SQLite and PostgreSQL agree."""
    since = (now or utcnow()) - timedelta(days=days)
    async with db.read() as session:
        rows = (await session.execute(select(SupportTicket).where(SupportTicket.opened_at >= since))).scalars().all()
        open_now = (
            await session.execute(
                select(func.count()).select_from(SupportTicket).where(SupportTicket.status.in_(ACTIVE_STATUSES))
            )
        ).scalar_one()
    first = [(t.first_response_at - t.opened_at).total_seconds() for t in rows if t.first_response_at]
    resolution = [
        (t.closed_at - t.opened_at).total_seconds() for t in rows if t.closed_at and t.close_reason in RESOLVED
    ]
    ratings = [t.rating for t in rows if t.rating is not None]
    return SupportStats(
        days=days,
        opened=len(rows),
        open_now=int(open_now),
        closed=sum(1 for t in rows if t.status == "closed"),
        avg_first_response_seconds=sum(first) / len(first) if first else None,
        avg_resolution_seconds=sum(resolution) / len(resolution) if resolution else None,
        avg_rating=sum(ratings) / len(ratings) if ratings else None,
        rated=len(ratings),
    )


async def display_name(session: AsyncSession, user_id: int) -> str:
    user = await session.get(User, user_id)
    if user is None:
        return str(user_id)
    return user.first_name or (f"@{user.username}" if user.username else str(user_id))


async def names(db: Database, user_ids: list[int]) -> dict[int, str]:
    async with db.read() as session:
        return {uid: await display_name(session, uid) for uid in user_ids}
