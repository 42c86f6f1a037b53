"""Outside tester: two agents tapping «Take over» on one ticket card at the same moment were both told "The ticket
is yours", the card ended with one of them, the other could not release it, and the shopper was greeted twice.
Now one agent gets it, the other is told who did (and how to take it over properly), and the shopper hears one
greeting. A stale card tapped after a colleague took the ticket is refused the same way. Real bot, emulator."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from store import support
from store.models.ops import AuditEntry
from tests.support.test_e2e import _card, _open_ticket

pytestmark = pytest.mark.demo_people

GREETING = {"en": "joined the chat", "zh": "客服已接入"}


async def _greetings(shopper: Any, words: str) -> int:
    return sum(1 for m in await shopper.messages() if m.from_bot and words in (m.text or ""))


@pytest.mark.parametrize(
    ("who", "ask", "lang"), [("Alice", "I want to talk to a human", "en"), ("李雷", "人工客服", "zh")]
)
async def test_two_agents_taking_one_ticket_at_once_one_gets_it(desk: Any, who: str, ask: str, lang: str) -> None:
    shopper, sam, tess, group = desk.people[who], desk.people["Sam"], desk.people["Tess"], desk.chats["support"]
    ticket = await _open_ticket(desk, shopper, ask)
    card = await _card(desk, ticket)

    taps = await asyncio.gather(
        sam.tap("Take over", message=card, chat=group), tess.tap("Take over", message=card, chat=group)
    )
    toasts = sorted((tap.toast.text or "") for tap in taps if tap.toast is not None)
    assert len(toasts) == 2 and sum("The ticket is yours" in text for text in toasts) == 1, toasts
    winner = (await support.get_ticket(desk.db, ticket.id)).assignee_id
    loser_toast = next(text for text in toasts if "yours" not in text)
    assert winner in (sam.id, tess.id)
    assert ("Sam" if winner == sam.id else "Tess") in loser_toast and "already took" in loser_toast
    assert await _greetings(shopper, GREETING[lang]) == 1, "the shopper is greeted once"
    async with desk.db.read() as session:
        takes = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "support.take"))).all()
    assert len(takes) == 1

    # A stale card (drawn while the ticket was open) tapped later: refused, the ticket stays with the winner.
    late = sam if winner == tess.id else tess
    stale = next(b.callback_data for row in card.buttons for b in row if "Take over" in b.text)
    await late.tap_data(stale or "", group, message=card)
    toast = (await late.toasts())[-1]
    assert "already took" in (toast.text or "") and toast.show_alert, toast
    assert (await support.get_ticket(desk.db, ticket.id)).assignee_id == winner
    assert await _greetings(shopper, GREETING[lang]) == 1
