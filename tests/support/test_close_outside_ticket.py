"""/close sent by an agent in the support forum's General topic (where no ticket lives) answered "This ticket is
already closed." (outside tester). It now says there is no ticket in this topic and to use /close inside a
ticket's topic, in the support group's language, and nothing else happens: the open ticket elsewhere stays as
it was, its topic gets no note and the shopper hears nothing."""

from __future__ import annotations

from typing import Any

import pytest

from bot.i18n import t
from store import support
from tests.support.test_e2e import _open_ticket, _topic_messages

pytestmark = pytest.mark.demo_people


@pytest.mark.parametrize("staff_lang", ["en", "zh"])
async def test_close_in_general_says_there_is_no_ticket_here(desk: Any, staff_lang: str) -> None:
    desk.settings.shop.default_language = staff_lang  # the support group reads the shop's default language
    alice, sam, group = desk.people["Alice"], desk.people["Sam"], desk.chats["support"]
    ticket = await _open_ticket(desk, alice)
    assert ticket.thread_id is not None
    before = await support.get_ticket(desk.db, ticket.id)
    topic_before = len(await _topic_messages(desk, ticket.thread_id))
    alice_before = len(await alice.messages())

    sent = await sam.send("/close", chat=group)  # General: no thread

    replies = [
        m
        for m in await group.messages()
        if m.from_bot and (m.raw.get("reply_to_message") or {}).get("message_id") == sent["message_id"]
    ]
    assert len(replies) == 1, replies
    reply = replies[0]
    assert reply.raw.get("message_thread_id") is None, "the answer stays in General"
    assert reply.text == t(staff_lang, "support.topic.no_ticket_here")
    assert reply.text != t(staff_lang, "support.topic.already_closed")

    after = await support.get_ticket(desk.db, ticket.id)
    assert after == before and after.active, "the ticket did not change"
    assert await support.active_ticket(desk.db, alice.id) == before
    assert len(await _topic_messages(desk, ticket.thread_id)) == topic_before, "no note in the ticket's topic"
    assert len(await alice.messages()) == alice_before, "the shopper heard nothing"
