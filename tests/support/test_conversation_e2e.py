"""The shopper's side of a conversation with the team, end to end: the rating-comment step ends when the shopper
moves on, a double tap on "Talk to a human" hands over once, and a shopper who went back to the menu during an
open ticket is told where their next message goes (English and Chinese)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.emulator.client import UserHandle
from dialogues.support_chat import COMMENT_WINDOW_SECONDS
from store import support
from store.models.support import SupportTicket
from tests.support.test_e2e import _add_order, _card, _last, _open_ticket, _text, _topic_messages

pytestmark = pytest.mark.demo_people


async def _closed_by_agent(desk: Any, shopper: UserHandle, ask: str) -> support.TicketInfo:
    ticket = await _open_ticket(desk, shopper, ask)
    sam, group = desk.people["Sam"], desk.chats["support"]
    await sam.tap("Take over", message=await _card(desk, ticket), chat=group)
    await sam.send("/close", chat=group, thread=ticket.thread_id)
    return ticket


async def _comment(desk: Any, ticket_id: int) -> str | None:
    async with desk.db.read() as session:
        row = await session.get(SupportTicket, ticket_id)
        assert row is not None
        return row.rating_comment


@pytest.mark.parametrize(
    ("who", "ask", "question", "thanks", "comment_prompt", "add_comment"),
    [
        (
            "Alice",
            "I want to talk to a human",
            "do you have green tea?",
            "Thanks for your feedback",
            "Write your",
            "Add a comment",
        ),
        ("李雷", "人工客服", "你们有绿茶吗？", "感谢您的反馈", "请用一条消息写下您的评价", "写评价"),
    ],
)
async def test_a_command_ends_the_rating_comment_step(
    desk: Any, who: str, ask: str, question: str, thanks: str, comment_prompt: str, add_comment: str
) -> None:
    shopper = desk.people[who]
    ticket = await _closed_by_agent(desk, shopper, ask)
    await shopper.tap("3⭐")
    await shopper.tap(add_comment)
    assert comment_prompt in (await _text(shopper))
    await shopper.send("/catalog")
    catalog = await _text(shopper)
    await shopper.send(question)
    answer = await _text(shopper)
    assert answer != catalog, "the question was not answered"
    assert thanks not in answer, "the question was taken for a rating comment"
    assert await _comment(desk, ticket.id) is None
    assert not any(question in (m.text or "") for m in await _topic_messages(desk, ticket.thread_id or 0))
    assert (await support.get_ticket(desk.db, ticket.id)).rating == 3


async def test_another_button_ends_the_rating_comment_step_and_a_comment_still_counts(desk: Any) -> None:
    alice = desk.people["Alice"]
    ticket = await _closed_by_agent(desk, alice, "I want to talk to a human")
    await alice.tap("4⭐")
    await alice.tap("Add a comment")
    await alice.send("/help")
    await alice.tap("Catalog", message=await _last(alice))  # a menu button: the shopper moved on
    await alice.send("do you have green tea?")
    assert "Thanks for your feedback" not in (await _text(alice))
    assert await _comment(desk, ticket.id) is None

    # the step itself still works: a comment after «Add a comment» is kept
    lilei = desk.people["李雷"]
    second = await _closed_by_agent(desk, lilei, "人工客服")
    await lilei.tap("5⭐")
    await lilei.tap("写评价")
    await lilei.send("客服很耐心")
    assert "感谢您的反馈" in (await _text(lilei))
    assert await _comment(desk, second.id) == "客服很耐心"


async def test_the_rating_comment_step_expires(desk: Any) -> None:
    lilei = desk.people["李雷"]
    ticket = await _closed_by_agent(desk, lilei, "人工客服")
    await lilei.tap("2⭐")
    await lilei.tap("写评价")
    # the shopper walks away; the step's deadline passes (moved back instead of waiting out the window)
    key = StorageKey(bot_id=desk.app.bot.id, chat_id=lilei.id, user_id=lilei.id)
    data = await desk.app.dp.storage.get_data(key)
    assert data["support_comment_until"] > 0
    data["support_comment_until"] -= COMMENT_WINDOW_SECONDS + 1
    await desk.app.dp.storage.set_data(key, data)
    await lilei.send("你们有绿茶吗？")
    assert "感谢您的反馈" not in (await _text(lilei))
    assert await _comment(desk, ticket.id) is None
    assert await desk.app.dp.storage.get_state(key) is None


@pytest.mark.parametrize(
    ("who", "miss", "connect", "already"),
    [
        ("Alice", "blah blah", "connect you with a person", "already talking to our team"),
        ("李雷", None, "转接人工客服", "您已在与客服沟通"),  # a sticker: "I only read text" with the button
    ],
)
async def test_a_double_tap_on_talk_to_a_human_hands_over_once(
    desk: Any, who: str, miss: str | None, connect: str, already: str
) -> None:
    shopper = desk.people[who]
    await (shopper.send(miss) if miss else shopper.send_sticker())
    offer = await _last(shopper)
    label = next(b.text for row in offer.buttons for b in row if b.text.startswith("🙋"))
    taps = await asyncio.gather(shopper.tap(label, message=offer), shopper.tap(label, message=offer))
    await desk.client.settle()
    assert all(tap.raw.get("answered") for tap in taps)
    new = [m for m in await shopper.messages() if m.message_id > offer.message_id]
    assert len(new) == 1 and connect in (new[0].text or ""), [m.text for m in new]
    toasts = [tap.toast.text for tap in taps if tap.toast is not None and tap.toast.text]
    assert len(toasts) == 1 and already in toasts[0], toasts
    ticket = await support.active_ticket(desk.db, shopper.id)
    assert ticket is not None
    cards = [m for m in await _topic_messages(desk, ticket.thread_id or 0) if f"#{ticket.id}" in (m.text or "")]
    assert len(cards) == 1, "one card for one hand-over"

    # the same button tapped again later: still only a toast
    again = await shopper.tap(label, message=offer)
    assert again.toast is not None and already in (again.toast.text or "")
    assert [m.message_id for m in await shopper.messages() if m.message_id > offer.message_id] == [new[0].message_id]


@pytest.mark.parametrize(
    ("who", "ask", "question", "reminder", "back"),
    [
        (
            "Alice",
            "I want to talk to a human",
            "do you have green tea?",
            "still talking with a person",
            "Back to the bot",
        ),
        ("李雷", "人工客服", "你们有绿茶吗？", "仍在与人工客服对话", "返回机器人"),
    ],
)
async def test_after_start_during_a_ticket_the_next_message_is_acknowledged_as_forwarded(
    desk: Any, who: str, ask: str, question: str, reminder: str, back: str
) -> None:
    shopper, sam, group = desk.people[who], desk.people["Sam"], desk.chats["support"]
    ticket = await _open_ticket(desk, shopper, ask)
    await sam.tap("Take over", message=await _card(desk, ticket), chat=group)
    await shopper.send("/start")
    welcome = await _last(shopper)
    await shopper.send(question)
    answer = await _last(shopper)
    assert answer.message_id != welcome.message_id, "the question got no answer at all"
    assert reminder in (answer.text or "") and any(back in b.text for row in answer.buttons for b in row)
    assert any(m.text == question for m in await _topic_messages(desk, ticket.thread_id or 0))

    # once said is enough: the conversation goes on quietly, and the button ends it
    await shopper.send("thanks" if who == "Alice" else "谢谢")
    assert (await _last(shopper)).message_id == answer.message_id
    await shopper.tap(back, message=answer)
    assert (await support.get_ticket(desk.db, ticket.id)).close_reason == "shopper"


async def test_the_support_group_is_not_a_shop_but_the_desk_commands_work(desk: Any) -> None:
    sam, group = desk.people["Sam"], desk.chats["support"]
    alice = desk.people["Alice"]
    ticket = await _open_ticket(desk, alice)

    async def bot_messages() -> list[int]:
        return [m.message_id for m in await group.messages() if m.from_bot]

    before = await bot_messages()
    for command in ("/catalog", "/start", "/help", "/cart", "/search tea"):
        await sam.send(command, chat=group)
        await sam.send(command, chat=group, thread=ticket.thread_id)
    await desk.client.settle()
    assert await bot_messages() == before, "the bot answered shop commands in the agents' room"

    # the desk's own commands still work there, and a note is still a note
    await sam.send("// she ordered twice", chat=group, thread=ticket.thread_id)
    assert [line.role for line in await support.transcript(desk.db, ticket.id)][-1] == "note"
    await sam.send("/support_stats", chat=group)
    assert "Tickets opened: 1" in ([m for m in await group.messages() if m.from_bot][-1].text or "")
    await sam.send("/close", chat=group, thread=ticket.thread_id)
    assert (await support.get_ticket(desk.db, ticket.id)).status == "closed"


async def test_the_bot_added_to_the_support_group_does_not_greet_it_as_a_shop(desk: Any) -> None:
    """Outside check: re-adding the bot to the agents' group posted "Hello! I am the shop assistant. Send /catalog
    to browse..." there; a shoppers' group still gets the greeting."""
    support_group = desk.chats["support"]
    shoppers = await desk.client.group("Street market", [desk.people["Alice"]], bot_member=False)

    def greetings(messages: list[Any]) -> list[str]:
        return [m.text for m in messages if m.from_bot and "/catalog" in (m.text or "")]

    before = len(greetings(await support_group.messages()))  # the sandbox set the group up before it was the desk
    for chat in (support_group, shoppers):
        await chat.set_bot_status("left")
        await chat.set_bot_status("member")
    await desk.client.settle()

    assert greetings(await shoppers.messages()), "a shoppers' group is greeted"
    assert len(greetings(await support_group.messages())) == before


async def test_a_photo_s_caption_is_answered_as_a_question(desk: Any) -> None:
    """Outside check: a photo captioned with a question got "I can only read text"; its caption is the question.
    A photo without words still gets that answer (a person can see it)."""
    alice, lilei = desk.people["Alice"], desk.people["李雷"]
    photo = b"\xff\xd8\xff\xe0fakejpeg"
    await alice.send_photo(photo, caption="how much is delivery?")
    answer = (await _last(alice)).text or ""
    assert "¥8.00" in answer and "only read text" not in answer, answer
    await lilei.send_photo(photo, caption="配送费多少钱")
    answer = (await _last(lilei)).text or ""
    assert "配送费 ¥8.00" in answer, answer
    await alice.send_photo(photo)
    assert "only read text" in ((await _last(alice)).text or "")


@pytest.mark.parametrize(
    ("lang", "who", "question", "no_note", "hint"),
    [
        ("en", "Alice", "where is my order", "No delivery note", "pickup point"),
        ("zh", "李雷", "我的订单到哪了", "暂无配送备注", "自提点"),
    ],
)
async def test_where_is_a_pickup_order_says_where_to_collect_it(
    desk: Any, lang: str, who: str, question: str, no_note: str, hint: str
) -> None:
    """Outside check: asked about a pickup order, the bot said "No delivery note yet" (暂无配送备注), which is about
    couriers; a pickup order is collected, and /orders shows where and the code."""
    shopper = desk.people[who]
    await shopper.send("hi")
    order_id = await _add_order(desk, shopper, status="paid", note=None, delivery="pickup")
    await shopper.send(question)
    answer = (await _last(shopper)).text or ""
    assert f"#{order_id}" in answer and hint in answer and "/orders" in answer and no_note not in answer, answer
