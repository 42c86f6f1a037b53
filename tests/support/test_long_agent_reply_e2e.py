"""An agent's long reply, as an outside tester met it: the relay signs a reply "💬 Sam · 客服" on a line of its own,
and a reply of about 4,085 characters or more plus that line was over Telegram's 4,096 limit. Telegram refused the
message ("message is too long"), the shopper got nothing and the agent got the generic apology in the topic.

A reply the agent could send always reaches the shopper whole: when the signature does not fit with it, the
signature goes first and the reply follows as the agent wrote it (copied, formatting kept). Telegram counts in
UTF-16 code units, so an emoji counts twice (the emulator counts characters, so the checks here also measure every
message the shopper got as Telegram would). Captions of photos likewise, within 1,024. English and Chinese.
Real bot, emulator."""

from __future__ import annotations

from typing import Any

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.i18n import t_plain
from store import support
from tests.support.test_e2e import _card, _last, _open_ticket, _photo_in_topic, _topic_messages

pytestmark = pytest.mark.demo_people

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
LABELS = {"en": "💬 Sam · support", "zh": "💬 Sam · 客服"}


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fill(pattern: str, units: int, end: str) -> str:
    """`pattern` repeated, then `end`, exactly `units` UTF-16 code units long (what Telegram counts)."""
    body = ""
    while utf16(body) + utf16(pattern) + utf16(end) <= units:
        body += pattern
    for char in pattern:  # top up one character at a time (a two-unit emoji may not fit the last unit)
        if utf16(body) + utf16(char) + utf16(end) > units:
            break
        body += char
    body += "." * (units - utf16(body) - utf16(end))
    text = body + end
    assert utf16(text) == units
    return text


ENGLISH = _fill("Your parcel #12 left the depot on Monday; the courier will call first. ", TEXT_LIMIT, "END-EN")
CHINESE = _fill("您的包裹已于周一从仓库发出，快递员送达前会先打电话联系您。", TEXT_LIMIT, "完毕")
# Emoji are two UTF-16 units each: 4,096 units are far fewer characters, and the signature still does not fit.
EMOJI = _fill("📦🚚✅ ok 🎉", TEXT_LIMIT, "🏁")

REPLIES = [
    pytest.param("Alice", "I want to talk to a human", "en", ENGLISH, id="en-ascii"),
    pytest.param("李雷", "人工客服", "zh", CHINESE, id="zh"),
    pytest.param("Alice", "I want to talk to a human", "en", EMOJI, id="en-emoji"),
    pytest.param("李雷", "人工客服", "zh", EMOJI, id="zh-emoji"),
]


async def _taken(desk: Any, shopper: UserHandle, ask: str) -> tuple[support.TicketInfo, MessageView]:
    sam, group = desk.people["Sam"], desk.chats["support"]
    ticket = await _open_ticket(desk, shopper, ask)
    await sam.tap("Take over", message=await _card(desk, ticket), chat=group)
    return ticket, await _last(shopper)


async def _bot_messages_since(shopper: UserHandle, since: MessageView) -> list[MessageView]:
    return [m for m in await shopper.messages() if m.from_bot and m.message_id > since.message_id]


def _within_limits(messages: list[MessageView]) -> None:
    for m in messages:
        assert utf16(m.text or "") <= TEXT_LIMIT, f"Telegram would refuse a text of {utf16(m.text or '')} units"
        assert utf16(m.caption or "") <= CAPTION_LIMIT, f"Telegram would refuse a caption of {utf16(m.caption or '')}"


@pytest.mark.parametrize(("who", "ask", "lang", "reply"), REPLIES)
async def test_a_full_length_agent_reply_reaches_the_shopper_whole_and_signed(
    desk: Any, who: str, ask: str, lang: str, reply: str
) -> None:
    shopper, sam, group = desk.people[who], desk.people["Sam"], desk.chats["support"]
    ticket, joined = await _taken(desk, shopper, ask)
    label = LABELS[lang]

    await sam.send(reply, chat=group, thread=ticket.thread_id)
    got = await _bot_messages_since(shopper, joined)
    _within_limits(got)
    assert [m.text for m in got] == [label, reply], "the signature first, then the reply as the agent wrote it"
    lines = await support.transcript(desk.db, ticket.id)
    assert [line.role for line in lines] == ["agent"] and reply.startswith(lines[0].text)
    assert (await support.get_ticket(desk.db, ticket.id)).first_response_at is not None
    apology = t_plain("en", "errors.internal")
    assert not any(apology in (m.text or "") for m in await _topic_messages(desk, ticket.thread_id or 0))

    # A reply that fits with its signature still goes as one signed message.
    fits = reply[: TEXT_LIMIT - utf16(label) - 1]
    while utf16(label) + 1 + utf16(fits) > TEXT_LIMIT:
        fits = fits[:-1]
    last = got[-1]
    await sam.send(fits, chat=group, thread=ticket.thread_id)
    signed = await _bot_messages_since(shopper, last)
    _within_limits(signed)
    assert [m.text for m in signed] == [f"{label}\n{fits}"]


CAPTIONS = [
    pytest.param(
        "Alice", "I want to talk to a human", "en", _fill("Your return label. ", CAPTION_LIMIT, "END"), id="en"
    ),
    pytest.param("李雷", "人工客服", "zh", _fill("这是您的退货标签。", CAPTION_LIMIT, "完"), id="zh"),
    pytest.param("Alice", "I want to talk to a human", "en", _fill("🏷️📦 ", CAPTION_LIMIT, "🏁"), id="en-emoji"),
]


@pytest.mark.parametrize(("who", "ask", "lang", "caption"), CAPTIONS)
async def test_a_photo_with_a_full_length_caption_reaches_the_shopper_whole_and_signed(
    desk: Any, who: str, ask: str, lang: str, caption: str
) -> None:
    shopper, sam, group = desk.people[who], desk.people["Sam"], desk.chats["support"]
    ticket, joined = await _taken(desk, shopper, ask)
    label = LABELS[lang]

    await _photo_in_topic(desk, sam, group.id, ticket.thread_id or 0, caption=caption)
    got = await _bot_messages_since(shopper, joined)
    _within_limits(got)
    assert [(m.text, m.caption) for m in got] == [(label, None), (None, caption)], "signed, caption whole"
    assert got[-1].photo

    # A caption that fits with the signature keeps riding in one message.
    short = "your return label"
    await _photo_in_topic(desk, sam, group.id, ticket.thread_id or 0, caption=short)
    signed = await _bot_messages_since(shopper, got[-1])
    assert [m.caption for m in signed] == [f"{label}\n{short}"] and signed[0].photo
