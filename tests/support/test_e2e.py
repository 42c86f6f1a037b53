"""Customer service end to end: the real bot against the emulator (shoppers in private chats, agents in the
forum supergroup stack.chats["support"])."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from bot.emulator.client import MessageView, UserHandle
from store import support, users
from store.models import Order

pytestmark = pytest.mark.demo_people


async def _last(user: UserHandle) -> MessageView:
    message = await user.last_message()
    assert message is not None, "the bot did not answer"
    return message


async def _text(user: UserHandle) -> str:
    return (await _last(user)).text or ""


def _labels(message: MessageView) -> list[str]:
    return [b.text for row in message.buttons for b in row]


async def _add_order(
    stack: Any, user: UserHandle, *, status: str, note: str | None, total: int = 4200, delivery: str = "delivery"
) -> int:
    async with stack.db.tx() as session:
        order = Order(
            user_id=user.id,
            status=status,
            currency="CNY",
            subtotal=total,
            total=total,
            payment_method="card",
            delivery_method=delivery,
            note=note,
        )
        session.add(order)
        await session.flush()
        return order.id


async def _photo_in_topic(desk: Any, user: UserHandle, chat_id: int, thread_id: int, caption: str) -> None:
    # UserHandle.send_photo has no thread argument; the control API takes thread_id.
    form = aiohttp.FormData()
    for key, value in {"user_id": user.id, "chat_id": chat_id, "thread_id": thread_id, "caption": caption}.items():
        form.add_field(key, str(value))
    form.add_field("file", b"\xff\xd8\xff\xe0label", filename="label.jpg", content_type="image/jpeg")
    await desk.client.request("POST", "/control/photo", data=form)


def _thread(ticket: support.TicketInfo) -> int:
    assert ticket.thread_id is not None
    return ticket.thread_id


async def _topic_messages(stack: Any, thread_id: int) -> list[MessageView]:
    return await stack.client.messages(stack.chats["support"].id, thread=thread_id)


async def test_faq_answers_in_english_and_chinese_with_shop_values(desk: Any) -> None:
    alice, lilei = desk.people["Alice"], desk.people["李雷"]
    await alice.send("how much is delivery?")
    answer = await _last(alice)
    assert "¥8.00" in (answer.text or "") and "¥99.00" in (answer.text or "")
    assert any(label.startswith("🔎 Search") and "how much is delivery" in label for label in _labels(answer))

    await lilei.send("配送费多少钱")
    answer = await _last(lilei)
    assert "配送费 ¥8.00" in (answer.text or "") and "¥99.00" in (answer.text or "")
    assert any("搜索" in label for label in _labels(answer))

    await lilei.send("自提点在哪里")
    answer = await _last(lilei)
    assert "中心门店" in (answer.text or "") and "北区社区自提柜" in (answer.text or "")

    await alice.send("which payment methods do you accept")
    assert "bank card" in (await _text(alice))


async def test_where_is_my_order_shows_status_and_delivery_note(desk: Any) -> None:
    alice = desk.people["Alice"]
    await alice.send("hi")
    first = await _add_order(desk, alice, status="shipped", note="Courier Wang, arriving Tuesday")
    await alice.send("where is my order")
    answer = await _last(alice)
    assert (
        f"#{first}" in (answer.text or "")
        and "shipped" in (answer.text or "")
        and "Courier Wang, arriving Tuesday" in (answer.text or "")
    )

    second = await _add_order(desk, alice, status="paid", note=None)
    await alice.send("where is my order")
    picker = await _last(alice)
    assert f"#{second}" in _labels(picker)[0] and f"#{first}" in _labels(picker)[1]
    await alice.tap(f"#{first}")
    assert "Courier Wang" in (await _text(alice))

    # A number in the question picks the order (outside tester: it was asked "which order?" again).
    await alice.send(f"where is my order #{first}")
    named = await _last(alice)
    assert "Courier Wang" in (named.text or "") and f"#{second}" not in " ".join(_labels(named)), "no picker"
    await alice.send("where is my order 99999")
    unknown = await _last(alice)
    assert "can't find order #99999" in (unknown.text or "")
    assert f"#{second}" in _labels(unknown)[0] and f"#{first}" in _labels(unknown)[1]


async def test_where_is_a_named_order_in_chinese(desk: Any) -> None:
    li = desk.people["李雷"]
    await li.send("你好")
    older = await _add_order(desk, li, status="shipped", note="顺丰，周二送达")
    await _add_order(desk, li, status="paid", note=None)
    await li.send(f"订单 #{older} 到哪了")
    assert "顺丰，周二送达" in (await _text(li))


async def test_cancel_it_offers_cancellation_when_allowed(desk: Any) -> None:
    alice = desk.people["Alice"]
    await alice.send("hi")
    order_id = await _add_order(desk, alice, status="pending_payment", note=None)
    await alice.send("cancel my order")
    offer = await _last(alice)
    assert f"❌ Cancel order #{order_id}" in _labels(offer)
    await alice.tap(f"Cancel order #{order_id}")
    assert (await _text(alice)).startswith(f"Cancel order #{order_id}?"), "it asks first, as /orders does"
    async with desk.db.read() as session:
        assert (await session.get(Order, order_id)).status == "pending_payment"
    await alice.tap("Yes, cancel it")
    assert f"#{order_id}" in (await _text(alice))
    async with desk.db.read() as session:
        assert (await session.get(Order, order_id)).status == "cancelled"


async def test_two_misses_in_a_row_offer_a_human(desk: Any) -> None:
    alice = desk.people["Alice"]
    await alice.send("blah blah")
    first = await _last(alice)
    assert "rephrase" in (first.text or "")
    assert _labels(first)[:2] == ["✏️ I'll rephrase", "🙋 Talk to a human"]
    await alice.send("lorem ipsum dolor")
    second = await _last(alice)
    assert "connect you with a person" in (second.text or "")
    assert _labels(second)[0] == "🙋 Talk to a human"
    assert any(label.startswith("🔎 Search") for label in _labels(second))


async def _open_ticket(desk: Any, shopper: UserHandle, text: str = "I want to talk to a human") -> support.TicketInfo:
    await shopper.send(text)
    ticket = await support.active_ticket(desk.db, shopper.id)
    assert ticket is not None, await _text(shopper)
    return ticket


async def _card(desk: Any, ticket: support.TicketInfo) -> MessageView:
    assert ticket.thread_id is not None
    ticket = await support.get_ticket(desk.db, ticket.id)
    cards = [m for m in await _topic_messages(desk, _thread(ticket)) if m.message_id == ticket.card_message_id]
    assert cards, "no card in the topic"
    return cards[0]


async def test_human_takeover_relay_notes_reassign_close_rating_and_topic_reuse(desk: Any) -> None:
    alice, sam, tess = desk.people["Alice"], desk.people["Sam"], desk.people["Tess"]
    group = desk.chats["support"]
    await alice.send("how long does delivery take")
    ticket = await _open_ticket(desk, alice)
    opened = await _last(alice)
    assert "connect you with a person" in (opened.text or "") and "↩️ Back to the bot" in _labels(opened)

    # one topic for Alice, headed by the card
    assert ticket.thread_id is not None and ticket.chat_id == group.id
    card = await _card(desk, ticket)
    assert card.from_bot and f"Ticket #{ticket.id}" in (card.text or "")
    assert "Alice" in (card.text or "") and "language: en" in (card.text or "") and "No orders yet" in (card.text or "")
    assert "Cart is empty" in (card.text or "") and "how long does delivery take" in (card.text or "")
    assert _labels(card) == ["✋ Take over", "👥 Assign to…", "✅ Close"]

    # a group member without the support role cannot take it
    bob = await desk.client.user("Bob")
    await group.add(bob)
    refused = await bob.tap("Take over", message=card, chat=group)
    assert refused.toast is not None and "Only support agents" in (refused.toast.text or "")
    assert (await support.get_ticket(desk.db, ticket.id)).status == "open"

    # Sam takes over; Alice is told a person joined
    await sam.tap("Take over", message=card, chat=group)
    taken = await support.get_ticket(desk.db, ticket.id)
    assert taken.status == "taken" and taken.assignee_id == sam.id
    assert "joined" in (await _text(alice))
    assert "with Sam" in ((await _card(desk, ticket)).text or "")

    # Alice's text and photo appear in the topic; the bot itself stays silent
    await alice.send("My parcel arrived damaged")
    await alice.send_photo(b"\xff\xd8\xff\xe0fakejpeg", caption="see the box")
    topic = await _topic_messages(desk, _thread(ticket))
    assert any(m.from_bot and m.text == "My parcel arrived damaged" for m in topic)
    assert any(m.from_bot and m.photo and m.caption == "see the box" for m in topic)
    assert "joined" in (await _text(alice))  # no automatic answer while a person has the ticket

    # Sam's reply reaches Alice signed by him (support.reply_label); an internal note does not
    await sam.send("Sorry about that! A replacement is on its way.", chat=group, thread=ticket.thread_id)
    assert (await _text(alice)) == "💬 Sam · support\nSorry about that! A replacement is on its way."
    await sam.send("// check the courier's insurance", chat=group, thread=ticket.thread_id)
    assert all("insurance" not in (m.text or "") for m in await alice.messages())
    lines = await support.transcript(desk.db, ticket.id)
    assert [line.role for line in lines] == ["shopper", "shopper", "agent", "note"]

    # reassign to the second agent
    await sam.tap("Assign to", message=await _card(desk, ticket), chat=group)
    picker = await _card(desk, ticket)
    assert "Tess" in _labels(picker) and "Sam" in _labels(picker)
    await sam.tap("Tess", message=picker, chat=group)
    assert (await support.get_ticket(desk.db, ticket.id)).assignee_id == tess.id
    assert "with Tess" in ((await _card(desk, ticket)).text or "")

    # Tess closes with /close: the bot takes over again and asks Alice for a rating
    await tess.send("/close", chat=group, thread=ticket.thread_id)
    closed = await support.get_ticket(desk.db, ticket.id)
    assert closed.status == "closed" and closed.close_reason == "agent"
    rating = await _last(alice)
    assert "How did we do" in (rating.text or "") and _labels(rating) == ["1⭐", "2⭐", "3⭐", "4⭐", "5⭐"]
    closed_card = await _card(desk, ticket)
    assert _labels(closed_card) == []  # the card lost its buttons
    # ... and no longer says replies here reach the shopper (outside tester)
    assert "no longer reach the shopper" in (closed_card.text or "") and "/close when done" not in (
        closed_card.text or ""
    )
    await alice.tap("4⭐")
    assert "Add a comment" in (await _text(alice))
    await alice.tap("Add a comment")
    assert "Write your comment" in (await _text(alice))
    await alice.send("Quick and friendly")
    assert "Thanks for your feedback" in (await _text(alice))
    stats = await support.stats(desk.db, 7)
    assert stats.avg_rating == 4 and stats.rated == 1

    # back with the bot: automatic answers again
    await alice.send("how much is delivery")
    assert "¥8.00" in (await _text(alice))

    # a later ticket reuses the topic with a new card
    second = await _open_ticket(desk, alice, "human please")
    assert second.id != ticket.id and second.thread_id == ticket.thread_id
    new_card = await _card(desk, second)
    assert f"Ticket #{second.id}" in (new_card.text or "") and new_card.message_id != closed.card_message_id
    created = [c for c in await desk.client.calls("createForumTopic") if c.get("ok", True)]
    assert len(created) == 1


async def test_talk_to_a_human_button_and_back_to_the_bot(desk: Any) -> None:
    alice = desk.people["Alice"]
    await alice.send("blah blah")
    await alice.tap("Talk to a human")
    ticket = await support.active_ticket(desk.db, alice.id)
    assert ticket is not None and ticket.thread_id is not None
    await alice.tap("Back to the bot")
    assert "Withdraw your request?" in (await _text(alice))  # nobody has answered yet: asked first
    await alice.tap("Withdraw")
    assert (await support.get_ticket(desk.db, ticket.id)).close_reason == "shopper"
    assert "back with the bot" in (await _text(alice))
    topic = await _topic_messages(desk, _thread(ticket))
    assert any("went back to the bot" in (m.text or "") for m in topic)


async def test_a_shopper_cannot_reach_another_shoppers_ticket(desk: Any) -> None:
    alice, lilei = desk.people["Alice"], desk.people["李雷"]
    ticket = await _open_ticket(desk, alice)
    await desk.people["Sam"].tap("Take over", message=await _card(desk, ticket), chat=desk.chats["support"])
    await desk.people["Sam"].send("/close", chat=desk.chats["support"], thread=ticket.thread_id)
    # 李雷 forges the rating and "back" buttons of Alice's ticket
    await lilei.send("你好")
    with pytest.raises(support.Forbidden):
        await support.rate(desk.db, ticket.id, lilei.id, 1)
    await lilei.send("人工客服")
    own = await support.active_ticket(desk.db, lilei.id)
    assert own is not None and own.thread_id != ticket.thread_id  # a topic of their own
    assert (await support.get_ticket(desk.db, ticket.id)).rating is None


async def test_shopper_blocking_the_bot_closes_the_ticket_with_a_note(desk: Any) -> None:
    alice, sam = desk.people["Alice"], desk.people["Sam"]
    group = desk.chats["support"]
    ticket = await _open_ticket(desk, alice)
    await sam.tap("Take over", message=await _card(desk, ticket), chat=group)
    await alice.block_bot()
    await sam.send("Are you still there?", chat=group, thread=ticket.thread_id)
    closed = await support.get_ticket(desk.db, ticket.id)
    assert closed.status == "closed" and closed.close_reason == "blocked"
    topic = await _topic_messages(desk, _thread(ticket))
    assert any("blocked the bot" in (m.text or "") for m in topic)
    user = await users.get_user(desk.db, alice.id)
    assert user is not None and user.unreachable


async def test_blocked_shoppers_ticket_gets_no_sla_ping_afterwards(desk: Any) -> None:
    alice = desk.people["Alice"]
    ticket = await _open_ticket(desk, alice)
    await alice.block_bot()
    assert (await support.get_ticket(desk.db, ticket.id)).close_reason == "blocked"
    job_id = await _job_id(desk, f"support_take:{ticket.id}")
    await desk.app.scheduler.fire(job_id)  # the SLA event finds the ticket closed and pings nobody
    topic = await _topic_messages(desk, _thread(ticket))
    assert not any("nobody has taken" in (m.text or "").lower() for m in topic)


async def _job_id(desk: Any, key: str) -> int:
    from sqlalchemy import select

    from store.models import ScheduledJob

    async with desk.db.read() as session:
        job = (await session.execute(select(ScheduledJob).where(ScheduledJob.key == key))).scalar_one()
        return job.id


async def _wait_topic_text(desk: Any, thread_id: int, needle: str) -> MessageView:
    async def found() -> MessageView | None:
        for m in await _topic_messages(desk, thread_id):
            if needle in (m.text or ""):
                return m
        return None

    result: MessageView = await desk.client.wait_for(found, timeout=5)
    return result


async def test_sla_pings_when_nobody_takes_and_when_the_shopper_waits(desk: Any) -> None:
    alice, sam = desk.people["Alice"], desk.people["Sam"]
    group = desk.chats["support"]
    ticket = await _open_ticket(desk, alice)
    assert ticket.thread_id is not None
    assert await desk.app.scheduler.fire(await _job_id(desk, f"support_take:{ticket.id}"))
    ping = await _wait_topic_text(desk, ticket.thread_id, "nobody has taken it")
    assert f"#{ticket.id}" in (ping.text or "") and ping.thread_id == ticket.thread_id

    await sam.tap("Take over", message=await _card(desk, ticket), chat=group)
    await alice.send("hello? anyone?")
    assert await desk.app.scheduler.fire(await _job_id(desk, f"support_reply:{ticket.id}"))
    reminder = await _wait_topic_text(desk, ticket.thread_id, "waiting")
    assert "Sam" in (reminder.text or "")
    # an answered shopper makes the next reminder moot
    await sam.send("Here!", chat=group, thread=ticket.thread_id)
    await alice.send("thanks")
    await sam.send("You're welcome", chat=group, thread=ticket.thread_id)
    job = await _job_id(desk, f"support_reply:{ticket.id}")
    assert not await desk.app.scheduler.fire(job)  # cancelled by the reply


async def test_bad_input_gets_an_answer_or_reaches_the_agent(desk: Any) -> None:
    alice, sam = desk.people["Alice"], desk.people["Sam"]
    await alice.send_sticker()
    assert "only read text" in (await _text(alice))
    await alice.send_voice()
    assert "only read text" in (await _text(alice))
    await alice.send_document(b"%PDF-1.4 fake", filename="invoice.pdf")
    assert "only read text" in (await _text(alice))
    await alice.send("x" * 3000)
    assert "too long" in (await _text(alice))
    await alice.send("Привет, как дела у вас сегодня")
    assert "English and Chinese" in (await _text(alice))
    await alice.send("/nosuchcommand")
    assert "/help" in (await _text(alice))

    ticket = await _open_ticket(desk, alice)
    group = desk.chats["support"]
    await sam.tap("Take over", message=await _card(desk, ticket), chat=group)
    await alice.send_sticker()
    await alice.send_voice()
    topic = await _topic_messages(desk, _thread(ticket))
    assert any(m.raw.get("sticker") for m in topic) and any(m.raw.get("voice") for m in topic)
    await _photo_in_topic(desk, sam, group.id, _thread(ticket), caption="your return label")
    label = await _last(alice)
    assert label.photo and label.caption == "💬 Sam · support\nyour return label"


async def test_canned_replies_in_the_shoppers_language(desk: Any) -> None:
    ada, sam, lilei = desk.people["Ada"], desk.people["Sam"], desk.people["李雷"]
    group = desk.chats["support"]
    await sam.send("/canned_add thanks | Thank you for your patience! | 感谢您的耐心等待！")
    assert "not allowed" in (await _text(sam))  # agents use canned replies, admins manage them
    await ada.send("/canned_add thanks | Thank you for your patience! | 感谢您的耐心等待！")
    assert "saved" in (await _text(ada))
    await sam.send("/canned", chat=group)
    listing = [m for m in await group.messages() if m.from_bot][-1]
    assert "thanks" in (listing.text or "")

    ticket = await _open_ticket(desk, lilei, "转人工")
    await sam.tap("Take over", message=await _card(desk, ticket), chat=group)
    await sam.send("/canned thanks", chat=group, thread=ticket.thread_id)
    assert (await _text(lilei)) == "💬 Sam · 客服\n感谢您的耐心等待！"
    assert (await support.get_ticket(desk.db, ticket.id)).first_response_at is not None
    await sam.send("/canned nope", chat=group, thread=ticket.thread_id)
    topic = await _topic_messages(desk, _thread(ticket))
    assert any("No canned reply called" in (m.text or "") for m in topic)
    await ada.send("/canned_del thanks")
    assert await support.get_canned(desk.db, "thanks") is None


async def test_support_stats_for_agents_only(desk: Any) -> None:
    alice, sam, ada = desk.people["Alice"], desk.people["Sam"], desk.people["Ada"]
    group = desk.chats["support"]
    ticket = await _open_ticket(desk, alice)
    await sam.tap("Take over", message=await _card(desk, ticket), chat=group)
    await sam.send("Hello!", chat=group, thread=ticket.thread_id)
    await sam.send("/close", chat=group, thread=ticket.thread_id)
    await alice.tap("5⭐")
    await ada.send("/support_stats")
    stats = await _last(ada)
    assert (
        "last 7 days" in (stats.text or "")
        and "Tickets opened: 1" in (stats.text or "")
        and "5.0/5" in (stats.text or "")
    )
    await ada.tap("30 days")
    assert "last 30 days" in (await _text(ada))
    await alice.send("/support_stats")
    assert "Only support agents" in (await _text(alice))
    # the same figures from the shared /admin menu
    await ada.send("/admin")
    await ada.tap("Support")
    assert "Tickets opened: 1" in (await _text(ada))
    await sam.send("/admin")
    assert "🎧 Support" in _labels(await _last(sam))  # the section is visible to support agents


async def test_refund_request_opens_a_ticket_with_the_order(desk: Any) -> None:
    alice = desk.people["Alice"]
    await alice.send("hi")
    order_id = await _add_order(desk, alice, status="delivered", note="Left at the door")
    ticket = await _open_ticket(desk, alice, "I want a refund")
    assert ticket.order_id == order_id and ticket.reason == "refund"
    card = await _card(desk, ticket)
    assert f"refund request for order #{order_id}" in (card.text or "") and f"#{order_id}" in (card.text or "")


async def test_points_question_answers_with_the_shoppers_balance(desk: Any) -> None:
    from store.growth import points

    alice = desk.people["Alice"]
    await alice.send("hi")
    async with desk.db.tx() as session:
        await points.award(session, alice.id, 120, "bonus", f"test:{alice.id}")
    await alice.send("how many points do I have")
    answer = await _last(alice)
    assert "You have 120 points" in (answer.text or "") and "/points" in (answer.text or "")


@pytest.mark.seeded
async def test_product_names_go_straight_to_search(desk: Any) -> None:
    alice = desk.people["Alice"]
    await alice.send("bananas")
    results = await _last(alice)
    assert "Bananas" in (results.text or "")
    turns = await support.recent_turns(desk.db, alice.id)
    assert turns[-1].intent == "search"
    # a question about a product still goes to understanding, with the search one tap away
    await alice.send("do you have bananas in stock?")
    answer = await _last(alice)
    search = [label for label in _labels(answer) if label.startswith("🔎")]
    assert search
    await alice.tap(search[0])
    assert "Bananas" in (await _text(alice))


async def test_block_notice_closes_the_ticket(desk: Any) -> None:
    """The my_chat_member handler of handlers.support (what Telegram sends when a shopper blocks the bot)."""
    from types import SimpleNamespace

    from handlers.support import shopper_left

    alice = desk.people["Alice"]
    ticket = await _open_ticket(desk, alice)
    event = SimpleNamespace(new_chat_member=SimpleNamespace(status="kicked"), from_user=SimpleNamespace(id=alice.id))
    await shopper_left(event, desk.app.ctx)
    closed = await support.get_ticket(desk.db, ticket.id)
    assert closed.status == "closed" and closed.close_reason == "blocked"
    topic = await _topic_messages(desk, _thread(ticket))
    assert any("blocked the bot" in (m.text or "") for m in topic)


async def test_blocking_the_bot_closes_the_ticket_at_once(desk: Any) -> None:
    alice = desk.people["Alice"]
    ticket = await _open_ticket(desk, alice)
    await alice.block_bot()
    assert (await support.get_ticket(desk.db, ticket.id)).status == "closed"
