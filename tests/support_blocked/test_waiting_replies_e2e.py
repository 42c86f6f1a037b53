"""An agent answers a shopper who has blocked the bot (outside tester): the reply waits in the database, the topic
says so in the staff language, and when the shopper starts the bot again the waiting replies reach them once, in
order and signed, with a line that the conversation was closed meanwhile (in their language). End to end through
the emulator; `desk` is the forum support group of tests/support."""

from __future__ import annotations

from typing import Any

import pytest

from bot.emulator.client import MessageView, UserHandle
from store import support, users

pytestmark = pytest.mark.demo_people


def _thread(ticket: support.TicketInfo) -> int:
    assert ticket.thread_id is not None
    return ticket.thread_id


async def _topic_texts(desk: Any, ticket: support.TicketInfo) -> list[str]:
    messages = await desk.client.messages(desk.chats["support"].id, thread=_thread(ticket))
    return [m.text or "" for m in messages]


async def _bot_texts(shopper: UserHandle) -> list[str]:
    return [m.text or m.caption or "" for m in await shopper.messages() if m.from_bot]


def _labels(message: MessageView) -> list[str]:
    return [b.text for row in message.buttons for b in row]


async def _taken_ticket(desk: Any, shopper: UserHandle, ask: str) -> support.TicketInfo:
    await shopper.send(ask)
    ticket = await support.active_ticket(desk.db, shopper.id)
    assert ticket is not None
    ticket = await support.get_ticket(desk.db, ticket.id)
    cards = [m for m in await desk.client.messages(desk.chats["support"].id, thread=_thread(ticket))
             if m.message_id == ticket.card_message_id]  # fmt: skip
    await desk.people["Sam"].tap("Take over", message=cards[0], chat=desk.chats["support"])
    return ticket


async def test_reply_to_a_blocked_shopper_waits_and_arrives_once_when_they_come_back(desk: Any) -> None:
    alice, sam = desk.people["Alice"], desk.people["Sam"]
    group = desk.chats["support"]
    ticket = await _taken_ticket(desk, alice, "I want to talk to a human")
    await alice.block_bot()
    before = len(await _bot_texts(alice))

    await sam.send("Your parcel ships tomorrow.", chat=group, thread=ticket.thread_id)
    await sam.send("Tracking number: SF123456.", chat=group, thread=ticket.thread_id)
    topic = await _topic_texts(desk, ticket)
    waiting = [t for t in topic if "blocked the bot" in t and "will be delivered" in t]
    assert len(waiting) == 2, topic  # one note per reply, in the staff language (English)
    assert not any("no open ticket" in t for t in topic), "the agent is told why, not 'no open ticket'"
    assert len(await _bot_texts(alice)) == before

    await alice.send("/start")  # writing to a blocked bot restarts it first (my_chat_member), then /start
    texts = await _bot_texts(alice)
    new = texts[before:]
    ships = [i for i, t in enumerate(new) if "Your parcel ships tomorrow." in t]
    tracking = [i for i, t in enumerate(new) if "Tracking number: SF123456." in t]
    assert len(ships) == 1 and len(tracking) == 1 and ships[0] < tracking[0], new
    assert "Sam · support" in new[ships[0]] and "Sam · support" in new[tracking[0]], "signed as usual"
    closed_lines = [t for t in new if "since been closed" in t]
    assert len(closed_lines) == 1, new
    last_bot = [m for m in await alice.messages() if m.from_bot]
    closing = next(m for m in last_bot if "since been closed" in (m.text or ""))
    assert any("Talk to a human" in label for label in _labels(closing))
    topic = await _topic_texts(desk, ticket)
    assert any("started the bot again" in t and "2 waiting replies" in t for t in topic), topic
    user = await users.get_user(desk.db, alice.id)
    assert user is not None and not user.unreachable

    # Coming back twice delivers nothing again.
    await alice.block_bot()
    await alice.send("/start")
    again = await _bot_texts(alice)
    assert sum("Your parcel ships tomorrow." in t for t in again) == 1
    assert sum("Tracking number: SF123456." in t for t in again) == 1
    assert sum("started the bot again" in t for t in await _topic_texts(desk, ticket)) == 1


async def test_chinese_shopper_gets_the_waiting_canned_and_typed_replies_in_chinese(desk: Any) -> None:
    lilei, sam = desk.people["李雷"], desk.people["Sam"]
    group = desk.chats["support"]
    await support.save_canned(desk.db, "ship", "It ships tomorrow.", "明天发货。", by=desk.people["Ada"].id)
    ticket = await _taken_ticket(desk, lilei, "我要人工客服")
    await lilei.block_bot()
    await sam.send("/canned ship", chat=group, thread=ticket.thread_id)
    await sam.send("运单号 SF654321", chat=group, thread=ticket.thread_id)
    topic = await _topic_texts(desk, ticket)
    assert sum("blocked the bot" in t and "will be delivered" in t for t in topic) == 2, topic

    await lilei.send("你好")  # any message restarts the bot
    texts = await _bot_texts(lilei)
    canned = [i for i, t in enumerate(texts) if "明天发货。" in t]
    typed = [i for i, t in enumerate(texts) if "运单号 SF654321" in t]
    assert len(canned) == 1 and len(typed) == 1 and canned[0] < typed[0], texts
    assert "Sam · 客服" in texts[canned[0]] and "Sam · 客服" in texts[typed[0]]
    assert sum("此对话现已结束" in t for t in texts) == 1, texts
    assert any("started the bot again" in t for t in await _topic_texts(desk, ticket))


async def test_waiting_replies_survive_a_restart(desk: Any) -> None:
    alice, sam = desk.people["Alice"], desk.people["Sam"]
    ticket = await _taken_ticket(desk, alice, "I want to talk to a human")
    await alice.block_bot()
    await sam.send("Refund approved.", chat=desk.chats["support"], thread=ticket.thread_id)
    await desk.restart_bot()
    await alice.unblock_bot()
    texts = await _bot_texts(alice)
    assert sum("Refund approved." in t for t in texts) == 1, texts


@pytest.mark.api_errors("bot was blocked by the user")
async def test_reply_refused_by_telegram_waits_too(desk: Any) -> None:
    """The bot missed the block (no my_chat_member, e.g. it was down): Telegram's 403 on the relay parks the reply."""
    alice, sam = desk.people["Alice"], desk.people["Sam"]
    ticket = await _taken_ticket(desk, alice, "I want to talk to a human")
    desk.emulator.emulator.users[alice.id].blocked_bot = True  # blocked without telling the bot
    await sam.send("We found your parcel.", chat=desk.chats["support"], thread=ticket.thread_id)
    topic = await _topic_texts(desk, ticket)
    assert any("blocked the bot" in t and "will be delivered" in t for t in topic), topic
    assert (await support.get_ticket(desk.db, ticket.id)).close_reason == "blocked"

    await alice.send("/start")
    texts = await _bot_texts(alice)
    assert sum("We found your parcel." in t for t in texts) == 1, texts
    assert sum("since been closed" in t for t in texts) == 1
