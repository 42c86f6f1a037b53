"""Replies waiting for a shopper who blocked the bot, on SQLite and PostgreSQL: kept only while the shopper cannot be
reached, handed out once (also to two processes claiming at the same moment, or a shopper coming back twice), in
order, and taken back after a crash mid-delivery."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from store import reachability, support, users
from store.db import Database
from store.models import utcnow

SHOPPER, AGENT = 701, 702
SUPPORT_CHAT = -100777


async def _blocked_ticket(db: Database) -> support.TicketInfo:
    for uid, name in ((SHOPPER, "Alice"), (AGENT, "Sam")):
        await users.ensure_user(db, uid, name, None, None, "en")
    opened = await support.open_ticket(db, SHOPPER, support_chat_id=SUPPORT_CHAT, take_sla_minutes=10)
    await users.mark_unreachable(db, SHOPPER)
    closed = await support.close(db, opened.ticket.id, closed_by=None, reason="blocked")
    assert closed is not None
    return closed


def _reply(text: str, message_id: int) -> support.AgentReply:
    return support.AgentReply("text", text, text, from_chat_id=SUPPORT_CHAT, from_message_id=message_id)


async def test_waiting_replies_are_claimed_once_in_order(any_db: Database) -> None:
    ticket = await _blocked_ticket(any_db)
    found = await support.ticket_closed_by_block(any_db, SHOPPER)
    assert found is not None and found.id == ticket.id
    assert await support.park_reply(any_db, ticket.id, AGENT, _reply("first", 11))
    assert await support.park_reply(any_db, ticket.id, AGENT, _reply("second", 12))
    assert await support.claim_waiting(any_db, SHOPPER) == [], "nothing is handed out while they are blocked"

    returned: list[Any] = []

    async def hook(info: dict[str, Any]) -> None:
        returned.extend(info.get(reachability.RETURNED_KEY, []))

    any_db.on_after_commit(hook)
    await users.mark_reachable(any_db, SHOPPER)
    assert returned == [SHOPPER], "the return is announced after commit"

    # Two processes see the return at the same moment: each reply goes to one of them.
    first, second = await asyncio.gather(support.claim_waiting(any_db, SHOPPER), support.claim_waiting(any_db, SHOPPER))
    claimed = first + second
    assert [w.reply.text for w in sorted(claimed, key=lambda w: w.id)] == ["first", "second"]
    assert len({w.id for w in claimed}) == 2
    assert [w.reply.text for w in (first or second)] == ["first", "second"], "in order"
    assert all(w.ticket_id == ticket.id and w.agent_id == AGENT for w in claimed)
    for waiting in claimed:
        await support.reply_delivered(any_db, waiting.id)

    # Back twice: nothing again.
    await users.mark_unreachable(any_db, SHOPPER)
    await users.mark_reachable(any_db, SHOPPER)
    assert await support.claim_waiting(any_db, SHOPPER) == []
    lines = await support.transcript(any_db, ticket.id)
    assert [(line.role, line.text) for line in lines] == [("agent", "first"), ("agent", "second")]


async def test_no_reply_waits_for_a_reachable_shopper(any_db: Database) -> None:
    ticket = await _blocked_ticket(any_db)
    await users.mark_reachable(any_db, SHOPPER)
    assert not await support.park_reply(any_db, ticket.id, AGENT, _reply("late", 13))
    assert await support.claim_waiting(any_db, SHOPPER) == []


async def test_a_refused_send_parks_unless_the_shopper_came_back_since(any_db: Database) -> None:
    ticket = await _blocked_ticket(any_db)
    await users.mark_reachable(any_db, SHOPPER)
    # Telegram's 403 for a send that started after the shopper was last seen: they blocked since.
    assert await support.park_reply(any_db, ticket.id, AGENT, _reply("x", 14), attempted_at=utcnow())
    assert await reachability.is_unreachable(any_db, SHOPPER)
    await users.mark_reachable(any_db, SHOPPER)
    assert [w.reply.text for w in await support.claim_waiting(any_db, SHOPPER)] == ["x"]
    # A send that started before their latest return: the 403 is stale, nothing parks.
    stale = utcnow() - timedelta(minutes=1)
    assert not await support.park_reply(any_db, ticket.id, AGENT, _reply("y", 15), attempted_at=stale)
    assert not await reachability.is_unreachable(any_db, SHOPPER)


async def test_a_claim_abandoned_by_a_crash_is_taken_again_after_the_lease(any_db: Database) -> None:
    ticket = await _blocked_ticket(any_db)
    assert await support.park_reply(any_db, ticket.id, AGENT, _reply("lost?", 16))
    await users.mark_reachable(any_db, SHOPPER)
    assert len(await support.claim_waiting(any_db, SHOPPER)) == 1  # ... and the process dies before sending
    assert await support.claim_waiting(any_db, SHOPPER) == [], "still leased"
    later = utcnow() + support.WAITING_LEASE + timedelta(seconds=1)
    assert [w.reply.text for w in await support.claim_waiting(any_db, SHOPPER, now=later)] == ["lost?"]
    # A 403 during delivery puts it back to wait.
    retaken = await support.claim_waiting(any_db, SHOPPER, now=later + support.WAITING_LEASE * 2)
    await support.release_waiting(any_db, [w.id for w in retaken])
    await users.mark_unreachable(any_db, SHOPPER)
    await users.mark_reachable(any_db, SHOPPER)
    assert [w.reply.text for w in await support.claim_waiting(any_db, SHOPPER)] == ["lost?"]
