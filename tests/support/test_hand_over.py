"""The "talk to a person" use case in the shop core: a ticket whose card the desk cannot show is closed again,
so no shopper waits on a ticket no agent can see; asking twice opens nothing new."""

from __future__ import annotations

from store import support, users
from store.db import Database

SHOPPER = 501
DESK = -100_500


async def _ask(db: Database, shown: list[int], *, desk_up: bool) -> support.HandOver:
    async def show_card(ticket: support.TicketInfo) -> bool:
        shown.append(ticket.id)
        return desk_up

    return await support.hand_over(db, SHOPPER, support_chat_id=DESK, take_sla_minutes=5, show_card=show_card)


async def test_a_card_the_desk_cannot_show_closes_the_ticket_again(any_db: Database) -> None:
    await users.ensure_user(any_db, SHOPPER, "Alice", None, None, "en")
    shown: list[int] = []
    failed = await _ask(any_db, shown, desk_up=False)
    assert failed.status == "unavailable" and failed.ticket is None
    assert await support.active_ticket(any_db, SHOPPER) is None, "a ticket nobody can see must not stay open"

    opened = await _ask(any_db, shown, desk_up=True)
    assert opened.status == "opened" and opened.ticket is not None
    again = await _ask(any_db, shown, desk_up=True)
    assert again.status == "already_open" and again.ticket is not None and again.ticket.id == opened.ticket.id
    assert len(shown) == 2, "the card is shown once per new ticket, never for the one already open"
