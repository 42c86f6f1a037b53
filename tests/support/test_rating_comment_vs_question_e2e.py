"""The rating comment versus a new question, as an outside tester met it: after a closed ticket was rated, the
shopper's next message was filed as the rating's comment ("Thanks for your feedback" / "感谢您的反馈！") even when it
was a new question, and even when a new ticket had been opened meanwhile (stars tapped on the old conversation's
prompt), so a message meant for the agent on the open ticket never reached them.

Now a comment is taken only after the shopper taps «Add a comment» under the rating's thanks: whatever they type
otherwise is answered as usual, and in the step their message is the comment however it is worded. An open
ticket always wins (the message is relayed to its agent, and stars tapped on an old prompt while a ticket is open
offer no comment). English and Chinese. Real bot, emulator."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.emulator.client import MessageView, UserHandle
from bot.i18n import t_plain
from dialogues.support_chat import SupportChat
from store import support
from store.models.support import SupportTicket
from tests.support.test_e2e import _card, _labels, _last, _open_ticket, _topic_messages

pytestmark = pytest.mark.demo_people


async def _taken(desk: Any, shopper: UserHandle, ask: str) -> support.TicketInfo:
    """A ticket the shopper opened (asking for a person) and Sam took over."""
    ticket = await _open_ticket(desk, shopper, ask)
    await desk.people["Sam"].tap("Take over", message=await _card(desk, ticket), chat=desk.chats["support"])
    return ticket


async def _closed_by_agent(desk: Any, shopper: UserHandle, ask: str) -> tuple[support.TicketInfo, MessageView]:
    """A ticket Sam took and closed; returns it with the rating prompt the shopper got."""
    ticket = await _taken(desk, shopper, ask)
    await desk.people["Sam"].send("/close", chat=desk.chats["support"], thread=ticket.thread_id)
    prompt = await _last(shopper)
    assert _labels(prompt) == ["1⭐", "2⭐", "3⭐", "4⭐", "5⭐"]
    return ticket, prompt


async def _rated(desk: Any, who: str, ask: str, stars: str) -> tuple[UserHandle, support.TicketInfo]:
    """`who`'s ticket, taken and closed by Sam, rated with `stars` on the prompt: the shopper and the ticket."""
    shopper = desk.people[who]
    ticket, _prompt = await _closed_by_agent(desk, shopper, ask)
    await shopper.tap(stars)
    return shopper, ticket


def _both_languages(en: str, zh: str) -> list[pytest.ParameterSet]:
    """Alice asking for a person in English and 李雷 in Chinese, each with the test's own words."""
    return [
        pytest.param("Alice", "I want to talk to a human", "en", en, id="en"),
        pytest.param("李雷", "人工客服", "zh", zh, id="zh"),
    ]


async def _comment(desk: Any, ticket_id: int) -> str | None:
    async with desk.db.read() as session:
        row = await session.get(SupportTicket, ticket_id)
        assert row is not None
        return row.rating_comment


async def _answers_after(shopper: UserHandle, since: MessageView) -> list[str]:
    return [m.text or "" for m in await shopper.messages() if m.from_bot and m.message_id > since.message_id]


QUESTIONS = [
    pytest.param("Alice", "I want to talk to a human", "en", "how much is delivery?", "¥8.00", id="en-mark"),
    pytest.param("Alice", "I want to talk to a human", "en", "where is my order", "no orders yet", id="en-no-mark"),
    pytest.param("李雷", "人工客服", "zh", "配送费多少钱", "¥8.00", id="zh-no-mark"),
    pytest.param("李雷", "人工客服", "zh", "我的订单到哪了", "您还没有订单", id="zh-where"),
]


@pytest.mark.parametrize(("who", "ask", "lang", "question", "answer"), QUESTIONS)
async def test_a_question_right_after_rating_is_answered_not_filed_as_the_comment(
    desk: Any, who: str, ask: str, lang: str, question: str, answer: str
) -> None:
    shopper, ticket = await _rated(desk, who, ask, "4⭐")
    rated = await _last(shopper)
    assert rated.text == t_plain(lang, "support.ticket.rated")
    assert _labels(rated) == [t_plain(lang, "support.button.comment")]

    await shopper.send(question)
    replies = await _answers_after(shopper, rated)
    assert replies and answer in replies[-1], replies
    assert not any(t_plain(lang, "support.ticket.comment_saved") in text for text in replies)
    assert await _comment(desk, ticket.id) is None
    assert not any(question in (m.text or "") for m in await _topic_messages(desk, ticket.thread_id or 0))
    assert (await support.get_ticket(desk.db, ticket.id)).rating == 4


# Worded like questions: only the tap says they are feedback.
FEEDBACK = _both_languages("How did Sam fix it so fast? Thank you!", "怎么这么快就解决了？谢谢！")


@pytest.mark.parametrize(("who", "ask", "lang", "feedback"), FEEDBACK)
async def test_after_add_a_comment_the_message_is_the_comment_however_it_reads(
    desk: Any, who: str, ask: str, lang: str, feedback: str
) -> None:
    shopper, ticket = await _rated(desk, who, ask, "5⭐")
    await shopper.tap(t_plain(lang, "support.button.comment"))
    prompt = await _last(shopper)
    assert prompt.text == t_plain(lang, "support.ticket.comment_prompt")
    assert _labels(prompt) == [t_plain(lang, "support.button.skip")]

    await shopper.send(feedback)
    assert (await _last(shopper)).text == t_plain(lang, "support.ticket.comment_saved")
    assert await _comment(desk, ticket.id) == feedback
    assert any(feedback in (m.text or "") for m in await _topic_messages(desk, ticket.thread_id or 0))


@pytest.mark.parametrize(
    ("who", "ask", "again"),
    [("Alice", "I want to talk to a human", "I want to talk to a human again"), ("李雷", "人工客服", "我要转人工")],
    ids=["en", "zh"],
)
async def test_asking_for_a_person_after_rating_opens_a_ticket(desk: Any, who: str, ask: str, again: str) -> None:
    shopper, ticket = await _rated(desk, who, ask, "5⭐")
    await shopper.send(again)
    second = await support.active_ticket(desk.db, shopper.id)
    assert second is not None and second.id != ticket.id, "the request was filed as a rating comment"
    assert await _comment(desk, ticket.id) is None


OPEN_AGAIN = _both_languages("The new box is wet too", "新的箱子也湿了")


@pytest.mark.parametrize(("who", "ask", "lang", "message"), OPEN_AGAIN)
async def test_stars_tapped_on_an_old_prompt_while_a_new_ticket_is_open_ask_for_no_comment(
    desk: Any, who: str, ask: str, lang: str, message: str
) -> None:
    shopper = desk.people[who]
    first, prompt = await _closed_by_agent(desk, shopper, ask)
    second = await _taken(desk, shopper, ask)

    await shopper.tap("5⭐", message=prompt)
    rated = next(m for m in await shopper.messages() if m.message_id == prompt.message_id)
    assert rated.text == t_plain(lang, "support.ticket.rated_thanks") and _labels(rated) == []
    assert (await support.get_ticket(desk.db, first.id)).rating == 5
    seen = await _last(shopper)

    await shopper.send(message)
    assert not any(
        t_plain(lang, "support.ticket.comment_saved") in text for text in await _answers_after(shopper, seen)
    )
    assert await _comment(desk, first.id) is None
    assert any(m.text == message for m in await _topic_messages(desk, second.thread_id or 0)), "not relayed"
    lines = await support.transcript(desk.db, second.id)
    assert [line.text for line in lines if line.role == "shopper"] == [message]


@pytest.mark.parametrize(("who", "ask", "lang", "message"), OPEN_AGAIN)
async def test_an_open_ticket_wins_over_a_comment_step_left_waiting(
    desk: Any, who: str, ask: str, lang: str, message: str
) -> None:
    """However the step was left waiting (another device, a process that stopped mid-way), a shopper with an open
    ticket talks to its agent."""
    shopper, first = await _rated(desk, who, ask, "2⭐")
    second = await _taken(desk, shopper, ask)  # a request for a person reads as one: a new ticket
    seen = await _last(shopper)
    key = StorageKey(bot_id=desk.app.bot.id, chat_id=shopper.id, user_id=shopper.id)
    await desk.app.dp.storage.set_state(key, SupportChat.rating_comment)
    await desk.app.dp.storage.set_data(key, {"support_ticket": first.id})

    await shopper.send(message)
    assert not any(
        t_plain(lang, "support.ticket.comment_saved") in text for text in await _answers_after(shopper, seen)
    )
    assert await _comment(desk, first.id) is None
    assert any(m.text == message for m in await _topic_messages(desk, second.thread_id or 0)), "not relayed"
    assert await desk.app.dp.storage.get_state(key) is None


@pytest.mark.parametrize(("who", "ask", "lang", "message"), OPEN_AGAIN)
async def test_add_a_comment_tapped_after_a_new_ticket_opened_offers_no_comment(
    desk: Any, who: str, ask: str, lang: str, message: str
) -> None:
    shopper, first = await _rated(desk, who, ask, "3⭐")
    rated = await _last(shopper)
    second = await _taken(desk, shopper, ask)

    await shopper.tap(t_plain(lang, "support.button.comment"), message=rated)
    redrawn = next(m for m in await shopper.messages() if m.message_id == rated.message_id)
    assert redrawn.text == t_plain(lang, "support.ticket.rated_thanks") and _labels(redrawn) == []
    await shopper.send(message)
    assert await _comment(desk, first.id) is None
    assert any(m.text == message for m in await _topic_messages(desk, second.thread_id or 0)), "not relayed"
