"""Stale buttons once an agent has the ticket, as an outside tester met them: a shopper waiting for an agent tapped
"↩️ Back to the bot" and was asked "Withdraw your request?"; meanwhile Sam took the ticket over and started helping,
and a tap on the old Withdraw closed the ticket under him. Withdraw now re-checks: once an agent has the ticket, it
says who is helping (a toast, and the question redrawn with the way back as its only button) and keeps the ticket.

Likewise the "✏️ I'll rephrase" button under an older answer: while a ticket is open, the next message goes to the
team, so the button says so instead of inviting the shopper to tell the bot. English and Chinese. Real bot,
emulator."""

from __future__ import annotations

from typing import Any

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.i18n import t_plain
from store import support
from tests.support.test_e2e import _card, _labels, _last, _open_ticket, _topic_messages

pytestmark = pytest.mark.demo_people

ASKS = [
    pytest.param("Alice", "I want to talk to a human", "en", "Still there? The box is wet.", id="en"),
    pytest.param("李雷", "人工客服", "zh", "还在吗？箱子湿了。", id="zh"),
]


async def _now(user: UserHandle, message: MessageView) -> MessageView:
    """The message as the shopper sees it now (buttons edit it in place)."""
    return next(m for m in await user.messages() if m.message_id == message.message_id)


@pytest.mark.parametrize(("who", "ask", "lang", "later"), ASKS)
async def test_a_stale_withdraw_does_not_close_a_ticket_an_agent_has_taken(
    desk: Any, who: str, ask: str, lang: str, later: str
) -> None:
    shopper, sam, group = desk.people[who], desk.people["Sam"], desk.chats["support"]
    back = t_plain(lang, "support.button.back_to_bot")
    ticket = await _open_ticket(desk, shopper, ask)
    await shopper.tap(back, message=await _last(shopper))
    question = await _last(shopper)
    assert question.text == t_plain(lang, "support.ticket.withdraw_confirm")

    await sam.tap("Take over", message=await _card(desk, ticket), chat=group)
    await sam.send("Hello, I am looking at your order now.", chat=group, thread=ticket.thread_id)
    assert "looking at your order" in ((await _last(shopper)).text or "")

    tapped = await shopper.tap(t_plain(lang, "support.button.withdraw"), message=question)
    assert tapped.toast is not None
    assert tapped.toast.text == t_plain(lang, "support.ticket.withdraw_taken_toast", agent="Sam")
    kept = await support.get_ticket(desk.db, ticket.id)
    assert kept.status == "taken" and kept.assignee_id == sam.id and kept.closed_at is None
    redrawn = await _now(shopper, question)
    assert redrawn.text == t_plain(lang, "support.ticket.withdraw_taken", agent="Sam")
    assert _labels(redrawn) == [back], "Withdraw and Keep waiting are gone"
    closed_text = t_plain(lang, "support.ticket.closed_by_shopper")
    assert not any(closed_text in (m.text or "") for m in await shopper.messages())
    topic = await _topic_messages(desk, ticket.thread_id or 0)
    assert not any("went back to the bot" in (m.text or "") for m in topic)

    # The conversation goes on: the shopper's next message reaches Sam.
    await shopper.send(later)
    assert any(m.text == later for m in await _topic_messages(desk, ticket.thread_id or 0))

    # Ending it stays one deliberate tap away: Back to the bot on the redrawn message hands back at once.
    await shopper.tap(back, message=redrawn)
    assert (await support.get_ticket(desk.db, ticket.id)).close_reason == "shopper"


async def test_withdraw_still_withdraws_a_request_released_back_to_the_queue(desk: Any) -> None:
    alice, sam, group = desk.people["Alice"], desk.people["Sam"], desk.chats["support"]
    ticket = await _open_ticket(desk, alice)
    await alice.tap("Back to the bot", message=await _last(alice))
    question = await _last(alice)
    await sam.tap("Take over", message=await _card(desk, ticket), chat=group)
    await alice.tap("Withdraw", message=question)
    assert (await support.get_ticket(desk.db, ticket.id)).status == "taken"

    # Sam gives it back to the queue: nobody is helping, so the question means what it says again.
    await sam.tap("Release", message=await _card(desk, ticket), chat=group)
    await alice.tap("Back to the bot", message=await _now(alice, question))
    again = await _now(alice, question)
    assert again.text == t_plain("en", "support.ticket.withdraw_confirm")
    await alice.tap("Withdraw", message=again)
    assert (await support.get_ticket(desk.db, ticket.id)).close_reason == "shopper"


MISSES = [
    pytest.param("Alice", "blah blah", "en", "My parcel is late", id="en"),
    pytest.param("李雷", "123", "zh", "我的包裹晚了", id="zh"),
]


@pytest.mark.parametrize(("who", "miss", "lang", "later"), MISSES)
async def test_ill_rephrase_during_a_ticket_says_the_next_message_goes_to_the_team(
    desk: Any, who: str, miss: str, lang: str, later: str
) -> None:
    shopper, sam, group = desk.people[who], desk.people["Sam"], desk.chats["support"]
    rephrase = t_plain(lang, "support.button.rephrase")
    await shopper.send(miss)
    answer = await _last(shopper)
    assert rephrase in _labels(answer), _labels(answer)
    hint = t_plain(lang, "support.assistant.rephrase_hint")
    assert (await shopper.tap(rephrase, message=answer)).toast.text == hint  # type: ignore[union-attr]

    await shopper.tap(t_plain(lang, "support.button.human"), message=answer)
    ticket = await support.active_ticket(desk.db, shopper.id)
    assert ticket is not None and ticket.status == "open"
    waiting = await shopper.tap(rephrase, message=answer)
    assert waiting.toast is not None and waiting.toast.text == t_plain(lang, "support.assistant.rephrase_with_team")

    await sam.tap("Take over", message=await _card(desk, ticket), chat=group)
    taken = await shopper.tap(rephrase, message=answer)
    assert taken.toast is not None
    assert taken.toast.text == t_plain(lang, "support.assistant.rephrase_with_agent", agent="Sam")
    assert taken.toast.text != hint

    # What the toast says is what happens: the next message goes to Sam.
    await shopper.send(later)
    assert any(m.text == later for m in await _topic_messages(desk, ticket.thread_id or 0))
