"""Issue 14, the agent's side: Take over turns into Release once taken, replies reach the shopper signed."""

from __future__ import annotations

from typing import Any

import pytest

from bot.emulator.client import MessageView
from store import support

pytestmark = pytest.mark.demo_people


def labels(message: MessageView) -> list[str]:
    return [b.text for row in message.buttons for b in row]


async def card_of(desk: Any, ticket_id: int) -> MessageView:
    ticket = await support.get_ticket(desk.db, ticket_id)
    assert ticket.thread_id is not None
    topic = await desk.client.messages(desk.chats["support"].id, thread=ticket.thread_id)
    return next(m for m in topic if m.message_id == ticket.card_message_id)


async def test_agent_takes_over_replies_signed_and_releases(desk: Any) -> None:
    alice, sam, tess = desk.people["Alice"], desk.people["Sam"], desk.people["Tess"]
    group = desk.chats["support"]
    await alice.send("I want to talk to a human")
    ticket = await support.active_ticket(desk.db, alice.id)
    assert ticket is not None
    card = await card_of(desk, ticket.id)
    assert labels(card) == ["✋ Take over", "👥 Assign to…", "✅ Close"]

    await sam.tap("Take over", message=card, chat=group)
    card = await card_of(desk, ticket.id)
    assert "Take over" not in " ".join(labels(card)), "a taken ticket offers no Take over"
    assert labels(card) == ["↩️ Release", "👥 Assign to…", "✅ Close"]

    await sam.send("Hello <b>Alice</b>, checking now.", chat=group, thread=ticket.thread_id)
    reply = await alice.last_message()
    assert reply is not None and reply.text == "💬 Sam · support\nHello <b>Alice</b>, checking now."

    # Only the agent who has it may release it; Sam's release puts it back in the queue.
    refused = await tess.tap("Release", message=card, chat=group)
    assert refused.toast is not None and "Only the agent" in (refused.toast.text or "")
    done = await sam.tap("Release", message=card, chat=group)
    assert done.toast is not None and "Released" in (done.toast.text or "")
    released = await support.get_ticket(desk.db, ticket.id)
    assert released.status == "open" and released.assignee_id is None
    assert labels(await card_of(desk, ticket.id))[0] == "✋ Take over"


async def test_team_signature_in_the_shoppers_language(desk: Any) -> None:
    desk.settings.support.reply_label = "team"
    lilei, sam = desk.people["李雷"], desk.people["Sam"]
    await lilei.send("人工客服")
    ticket = await support.active_ticket(desk.db, lilei.id)
    assert ticket is not None
    await sam.tap("Take over", message=await card_of(desk, ticket.id), chat=desk.chats["support"])
    await sam.send("您好", chat=desk.chats["support"], thread=ticket.thread_id)
    reply = await lilei.last_message()
    assert reply is not None and reply.text == "💬 客服\n您好"
