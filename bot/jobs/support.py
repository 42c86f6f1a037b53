"""Support SLA events: a ticket nobody took in time is pinged in its topic; a shopper left waiting for an
agent's reply makes the bot remind that agent. Both are conditional on the ticket's current state, so a
ticket taken or answered in the meantime stays quiet."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler import AfterCommit, JobContext
from bot.views.support import mention
from store import notify, support

log = logging.getLogger(__name__)


async def _topic_note(session: AsyncSession, ticket: support.TicketInfo, key: str, **params: object) -> None:
    if ticket.chat_id is None:
        return
    await notify.enqueue(
        session,
        ticket.chat_id,
        "support.topic",
        user_id=None,
        dedupe_key=None,
        key=key,
        thread_id=ticket.thread_id,
        params=params,
    )


async def _closed_if_blocked(session: AsyncSession, ticket: support.TicketInfo) -> bool:
    """A shopper who blocked the bot cannot be helped: close the ticket with a note instead of pinging."""
    if not await support.shopper_unreachable(session, ticket.user_id):
        return False
    if await support.close_in_session(session, ticket.id, reason="blocked"):
        await _topic_note(session, ticket, "support.topic.blocked_note", ticket_id=ticket.id)
    return True


async def take_sla(job: JobContext, session: AsyncSession) -> AfterCommit | None:
    ticket = await support.untaken_ticket(session, int(job.ref))
    if ticket is None or await _closed_if_blocked(session, ticket):
        return None
    minutes = job.app.settings.support.take_sla_minutes
    await _topic_note(session, ticket, "support.topic.sla_take", ticket_id=ticket.id, minutes=minutes)
    return None


async def reply_sla(job: JobContext, session: AsyncSession) -> AfterCommit | None:
    found = await support.unanswered_ticket(session, int(job.ref))
    if found is None:
        return None
    ticket, _since = found
    if await _closed_if_blocked(session, ticket):
        return None
    agent = "?"
    if ticket.assignee_id is not None:
        agent = mention(ticket.assignee_id, await support.display_name(session, ticket.assignee_id))
    minutes = job.app.settings.support.reply_sla_minutes
    await _topic_note(session, ticket, "support.topic.sla_reply", ticket_id=ticket.id, minutes=minutes, agent=agent)
    return None
