"""Withdrawing a request nobody has answered yet, as an outside tester met it: "Back to the bot" under "I'll connect
you with a person" ended the request at once, so a stray tap cost the shopper their place in the queue. While the
request waits for an agent the button now asks first (Withdraw / Keep waiting); once an agent has it, the button
hands back at once as before. English and Chinese. Real bot, emulator."""

from __future__ import annotations

from typing import Any

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.i18n import t_plain
from store import support
from tests.support.test_e2e import _card, _labels, _last, _open_ticket, _topic_messages

pytestmark = pytest.mark.demo_people


async def _now(user: UserHandle, message: MessageView) -> MessageView:
    """The message as the shopper sees it now (buttons edit it in place)."""
    return next(m for m in await user.messages() if m.message_id == message.message_id)


ASKS = [("Alice", "I want to talk to a human", "en"), ("李雷", "人工客服", "zh")]


@pytest.mark.parametrize(("who", "ask", "lang"), ASKS, ids=["en", "zh"])
async def test_back_to_the_bot_asks_before_withdrawing_a_waiting_request(
    desk: Any, who: str, ask: str, lang: str
) -> None:
    shopper = desk.people[who]
    ticket = await _open_ticket(desk, shopper, ask)
    opened = await _last(shopper)
    back = t_plain(lang, "support.button.back_to_bot")
    withdraw, wait = t_plain(lang, "support.button.withdraw"), t_plain(lang, "support.button.keep_waiting")

    await shopper.tap(back, message=opened)
    assert (await support.get_ticket(desk.db, ticket.id)).status == "open", "one tap must not withdraw it"
    question = await _last(shopper)
    assert question.text == t_plain(lang, "support.ticket.withdraw_confirm")
    assert _labels(question) == [withdraw, wait]

    # keep waiting: still in the queue, and the way back is offered again
    await shopper.tap(wait, message=question)
    kept = await _last(shopper)
    assert (await support.get_ticket(desk.db, ticket.id)).status == "open"
    assert kept.text == t_plain(lang, "support.ticket.keep_waiting") and _labels(kept) == [back]

    # asked again, and this time withdrawn
    await shopper.tap(back, message=kept)
    await shopper.tap(withdraw, message=await _last(shopper))
    closed = await support.get_ticket(desk.db, ticket.id)
    assert closed.status == "closed" and closed.close_reason == "shopper"
    assert (await _last(shopper)).text == t_plain(lang, "support.ticket.closed_by_shopper")
    topic = await _topic_messages(desk, ticket.thread_id or 0)
    assert any("went back to the bot" in (m.text or "") for m in topic)


@pytest.mark.parametrize(("who", "ask", "lang"), ASKS, ids=["en", "zh"])
async def test_after_an_agent_answered_back_to_the_bot_hands_back_at_once(
    desk: Any, who: str, ask: str, lang: str
) -> None:
    shopper, sam, group = desk.people[who], desk.people["Sam"], desk.chats["support"]
    ticket = await _open_ticket(desk, shopper, ask)
    opened = await _last(shopper)
    await sam.send("Hello, how can I help?", chat=group, thread=ticket.thread_id)
    assert (await support.get_ticket(desk.db, ticket.id)).first_response_at is not None
    await shopper.tap(t_plain(lang, "support.button.back_to_bot"), message=opened)
    assert (await support.get_ticket(desk.db, ticket.id)).close_reason == "shopper"
    assert (await _now(shopper, opened)).text == t_plain(lang, "support.ticket.closed_by_shopper")


async def test_keep_waiting_after_the_agent_closed_says_so(desk: Any) -> None:
    alice, sam, group = desk.people["Alice"], desk.people["Sam"], desk.chats["support"]
    ticket = await _open_ticket(desk, alice)
    await alice.tap("Back to the bot", message=await _last(alice))
    question = await _last(alice)
    await sam.tap("Close", message=await _card(desk, ticket), chat=group)
    await alice.tap("Keep waiting", message=question)
    answered = await _now(alice, question)
    assert answered.text == t_plain("en", "errors.ticket_closed") and _labels(answered) == []
