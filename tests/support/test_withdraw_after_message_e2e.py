"""Withdraw tapped after the shopper wrote to the team, as an outside tester met it: the shopper tapped "Back to the
bot", was asked "Withdraw your request?", wrote another message (relayed into the ticket), then tapped Withdraw. The
ticket was closed and their new message sat in a withdrawn ticket nobody acts on, without a word to the shopper.
Writing after the question means they still want help: the request stays open and they are told so; withdrawing
takes one more deliberate step. English and Chinese. Real bot, emulator."""

from __future__ import annotations

from typing import Any

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.i18n import t_plain
from store import support
from tests.support.test_e2e import _card, _labels, _last, _open_ticket, _topic_messages

pytestmark = pytest.mark.demo_people

ASKS = [
    ("Alice", "I want to talk to a human", "My parcel is still missing, order 12", "en"),
    ("李雷", "人工客服", "我的包裹还没到，订单 12", "zh"),
]


async def _now(user: UserHandle, message: MessageView) -> MessageView:
    """The message as the shopper sees it now (buttons edit it in place)."""
    return next(m for m in await user.messages() if m.message_id == message.message_id)


async def _ask_withdraw(desk: Any, shopper: UserHandle, ask: str, lang: str) -> tuple[support.TicketInfo, MessageView]:
    ticket = await _open_ticket(desk, shopper, ask)
    await shopper.tap(t_plain(lang, "support.button.back_to_bot"), message=await _last(shopper))
    question = await _last(shopper)
    assert question.text == t_plain(lang, "support.ticket.withdraw_confirm")
    return ticket, question


@pytest.mark.parametrize(("who", "ask", "later", "lang"), ASKS, ids=["en", "zh"])
async def test_a_message_written_after_the_question_keeps_the_request_open(
    desk: Any, who: str, ask: str, later: str, lang: str
) -> None:
    shopper = desk.people[who]
    back, withdraw = t_plain(lang, "support.button.back_to_bot"), t_plain(lang, "support.button.withdraw")
    ticket, question = await _ask_withdraw(desk, shopper, ask, lang)

    await shopper.send(later)
    topic = await _topic_messages(desk, ticket.thread_id or 0)
    assert any(later in (m.text or "") for m in topic), "the new message is relayed to the agents"

    await shopper.tap(withdraw, message=question)
    kept = await support.get_ticket(desk.db, ticket.id)
    assert kept.status == "open" and kept.closed_at is None, "writing to the team means they still want help"
    assert any(line.role == "shopper" and later in line.text for line in await support.transcript(desk.db, ticket.id))
    told = await _now(shopper, question)
    assert told.text == t_plain(lang, "support.ticket.withdraw_kept")
    assert _labels(told) == [back]

    # Withdrawing deliberately still works: asked again, and this time nothing new was written.
    await shopper.tap(back, message=told)
    again = await _last(shopper)
    assert again.text == t_plain(lang, "support.ticket.withdraw_confirm")
    await shopper.tap(withdraw, message=again)
    closed = await support.get_ticket(desk.db, ticket.id)
    assert closed.status == "closed" and closed.close_reason == "shopper"
    assert (await _now(shopper, again)).text == t_plain(lang, "support.ticket.closed_by_shopper")


@pytest.mark.parametrize(("who", "ask", "later", "lang"), ASKS, ids=["en", "zh"])
async def test_withdraw_with_no_newer_message_closes_as_before(
    desk: Any, who: str, ask: str, later: str, lang: str
) -> None:
    shopper = desk.people[who]
    # A message written before the question is not a reason to keep the request.
    ticket = await _open_ticket(desk, shopper, ask)
    await shopper.send(later)
    await shopper.tap(t_plain(lang, "support.button.back_to_bot"), message=await _last(shopper))
    question = await _last(shopper)
    assert question.text == t_plain(lang, "support.ticket.withdraw_confirm")

    await shopper.tap(t_plain(lang, "support.button.withdraw"), message=question)
    closed = await support.get_ticket(desk.db, ticket.id)
    assert closed.status == "closed" and closed.close_reason == "shopper"
    assert (await _now(shopper, question)).text == t_plain(lang, "support.ticket.closed_by_shopper")
    topic = await _topic_messages(desk, ticket.thread_id or 0)
    assert any("went back to the bot" in (m.text or "") for m in topic)


async def test_taken_meanwhile_withdraw_keeps_the_ticket_whether_or_not_the_shopper_wrote(desk: Any) -> None:
    # Once an agent has the ticket, a stale Withdraw says who is helping and keeps it (tests/support/
    # test_stale_withdraw_e2e.py); ending it is "Back to the bot", which hands back at once for a taken ticket.
    alice, sam, group = desk.people["Alice"], desk.people["Sam"], desk.chats["support"]
    ticket, question = await _ask_withdraw(desk, alice, "I want to talk to a human", "en")
    await sam.tap("Take over", message=await _card(desk, ticket), chat=group)

    await alice.send("Still there?")
    await alice.tap("Withdraw", message=question)
    kept = await support.get_ticket(desk.db, ticket.id)
    assert kept.status == "taken" and kept.assignee_id == sam.id
    told = await _now(alice, question)
    assert told.text == t_plain("en", "support.ticket.withdraw_taken", agent="Sam")

    # Taken: "Back to the bot" hands back at once, as for any ticket an agent has.
    await alice.tap("Back to the bot", message=told)
    assert (await support.get_ticket(desk.db, ticket.id)).close_reason == "shopper"

    # With nothing new written, a Withdraw on a ticket taken meanwhile keeps it too.
    ticket, question = await _ask_withdraw(desk, alice, "I want to talk to a human", "en")
    await sam.tap("Take over", message=await _card(desk, ticket), chat=group)
    await alice.tap("Withdraw", message=question)
    assert (await support.get_ticket(desk.db, ticket.id)).status == "taken"
    assert (await _now(alice, question)).text == t_plain("en", "support.ticket.withdraw_taken", agent="Sam")
