"""Languages in shared and private conversations, through the real bot and the emulator:
- a group's shared cards (catalog, flash sale) stay in the group's language whoever taps them, while each
  tapper's toast is in their own language; a group admin can change the group's language with /language;
- a shopper who writes Chinese from an English Telegram app gets Chinese replies through the conversation
  (assistant, support, the rating request), unless they chose a language with /language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from bot.emulator.client import MessageView, UserHandle
from bot.i18n import t
from bot.sandbox import Stack
from store import support, users
from tests.flashsale.helpers import live_sale, make_product


def _labels(message: MessageView) -> list[str]:
    return [b.text for row in message.buttons for b in row]


async def _last(user: UserHandle, chat: Any = None) -> MessageView:
    message = await user.last_message(chat)
    assert message is not None, "the bot did not answer"
    return message


async def _current(user: UserHandle, chat: Any, message_id: int) -> MessageView:
    return next(m for m in await user.messages(chat) if m.message_id == message_id)


async def test_group_card_stays_in_the_groups_language_toasts_follow_the_tapper(shop: Stack) -> None:
    await make_product(shop.db, "RICE-1", price=9900, stock=10)
    li = await shop.client.user("李雷", lang="zh-hans")
    alice = await shop.client.user("Alice", lang="en")
    # 李雷 creates the group and adds the bot: the group's language starts as his.
    group = await shop.client.group("邻居", members=[li, alice], bot_admin=True)
    await alice.send("/start")

    await li.send("/catalog", chat=group)
    catalog = await _last(li, group)
    assert "商品目录" in (catalog.text or "")
    # Alice (English) opens the category and the product: the shared message stays Chinese.
    await alice.tap("测试", message=catalog, chat=group)
    page = await _current(alice, group, catalog.message_id)
    assert "第 1 页" in (page.text or ""), page.text
    await alice.tap("商品 RICE-1", message=page, chat=group)
    card = await _current(alice, group, catalog.message_id)
    assert "商品 RICE-1" in (card.text or "") and "🛒 加入购物车" in _labels(card), card.text
    added = await alice.tap("🛒 加入购物车", message=card, chat=group)
    assert added.toast is not None and "Added" in (added.toast.text or ""), "her toast is in her language"
    assert "🛒 加入购物车" in _labels(await _current(alice, group, catalog.message_id))

    # A member who is not an admin cannot change the group's language.
    await alice.send("/language", chat=group)
    picker = await _last(alice, group)
    refused = await alice.tap("English", message=picker, chat=group)
    assert refused.toast is not None and "Only a group admin" in (refused.toast.text or "")
    assert await users.chat_language(shop.db, group.id) == "zh"
    # The creator switches it to English: the next shared message is English.
    changed = await li.tap("English", message=picker, chat=group)
    assert changed.toast is not None and "English" in (changed.toast.text or "")
    await li.send("/catalog", chat=group)
    assert "Catalog" in ((await _last(li, group)).text or "")


async def test_flash_card_in_a_chinese_group_english_toast(shop: Stack) -> None:
    await make_product(shop.db, "RICE-1", price=9900, stock=10)
    sale = await live_sale(shop.db, "RICE-1", stock=3, price=1990)
    li = await shop.client.user("李雷", lang="zh-hans")
    alice = await shop.client.user("Alice", lang="en")
    group = await shop.client.group("邻居", members=[li, alice], bot_admin=True)
    await alice.send("/start")
    from store import flashsale

    async with shop.db.tx() as session:
        await flashsale.open_to_everyone(session, sale.id)

    async def card() -> MessageView | None:
        return next((m for m in await alice.messages(group) if "秒杀" in (m.text or "")), None)

    shared: MessageView = await shop.client.wait_for(card, timeout=10)
    won = await alice.tap(message=shared, chat=group)
    assert won.toast is not None and "You got one" in (won.toast.text or "")


@pytest.mark.demo_people
async def test_english_app_user_writing_chinese_gets_chinese_replies(shop: Stack) -> None:
    alice, sam = shop.people["Alice"], shop.people["Sam"]  # Alice's Telegram app is in English
    forum = shop.chats["support"]
    await alice.send("运费多少钱？")
    assert "¥8.00" in (await _last(alice)).text and "运费" in ((await _last(alice)).text or "")
    await alice.send("/help")
    assert "我能做什么" in ((await _last(alice)).text or ""), "the conversation stays in Chinese"
    await alice.send("我要找人工客服")
    ticket = await support.active_ticket(shop.db, alice.id)
    assert ticket is not None and ticket.thread_id is not None
    assert "客服" in ((await _last(alice)).text or "")

    card = next(
        m
        for m in await shop.client.messages(forum.id, thread=ticket.thread_id)
        if m.message_id == ticket.card_message_id
    )
    await sam.tap("Take over", message=card, chat=forum)
    assert "客服已接入" in ((await _last(alice)).text or "")
    await sam.send("/close", chat=forum, thread=ticket.thread_id)
    rating = await _last(alice)
    assert "请为我们的服务打分" in (rating.text or ""), rating.text
    await alice.tap("5⭐")
    assert "感谢您的评分" in ((await _last(alice)).text or "")
    await alice.tap("写评价")
    await alice.send("很好")
    assert "感谢您的反馈" in ((await _last(alice)).text or "")

    # Writing English again brings the conversation back to English.
    await alice.send("how much is delivery?")
    await alice.send("/help")
    assert "What I can do" in ((await _last(alice)).text or "")


@pytest.mark.demo_people
async def test_one_chinese_message_does_not_switch_an_english_shop_for_good(shop: Stack) -> None:
    alice, sam = shop.people["Alice"], shop.people["Sam"]  # Alice's Telegram app is in English
    forum = shop.chats["support"]
    await alice.send("/cart")
    assert "Your cart is empty" in ((await _last(alice)).text or "")
    await alice.send("我要找人工客服")
    assert "客服" in ((await _last(alice)).text or "")
    await alice.send("/cart")
    assert "购物车是空的" in ((await _last(alice)).text or ""), "right after, the conversation is Chinese"
    ticket = await support.active_ticket(shop.db, alice.id)
    assert ticket is not None and ticket.thread_id is not None

    # Half an hour later her shop speaks her app's language again, while the agent, who took long to come,
    # still talks to her in the language she wrote in.
    with time_machine.travel(datetime.now(UTC) + users.CONVERSATION_WINDOW + timedelta(minutes=1), tick=True):
        await alice.send("/cart")
        assert "Your cart is empty" in ((await _last(alice)).text or ""), (await _last(alice)).text
        await alice.send("/help")
        assert "What I can do" in ((await _last(alice)).text or "")
        card = next(
            m
            for m in await shop.client.messages(forum.id, thread=ticket.thread_id)
            if m.message_id == ticket.card_message_id
        )
        await sam.tap("Take over", message=card, chat=forum)
        assert "客服已接入" in ((await _last(alice)).text or "")
        await sam.send("/close", chat=forum, thread=ticket.thread_id)
        assert "请为我们的服务打分" in ((await _last(alice)).text or "")


async def test_an_explicit_language_choice_wins(shop: Stack) -> None:
    bob = await shop.client.user("Bob", lang="zh-hans")
    await bob.send("/language")
    await bob.tap("English")
    await bob.send("运费多少钱？")
    await bob.send("/help")
    assert "What I can do" in ((await _last(bob)).text or ""), "/language chose English: it stays"


# README: a message in the other language switches replies to it for a while, "`/language` always wins".
# The assistant picked its reply language from the message's script (handlers/assistant.py reply_language),
# over the shopper's /language choice: 中文 chosen, "where is my order" was answered in English.
CHOSEN_LANGUAGE_WINS = [
    # Telegram app, /language choice, the message in the other language, its intent's answer, /orders says
    ("en", "中文", "where is my order", "support.orders.none", "您还没有订单"),
    ("zh-hans", "English", "我的订单到哪了", "support.orders.none", "no orders yet"),
]


@pytest.mark.parametrize("app_lang,choice,text,answer,orders", CHOSEN_LANGUAGE_WINS)
async def test_a_question_in_the_other_language_is_answered_in_the_chosen_one(
    shop: Stack, app_lang: str, choice: str, text: str, answer: str, orders: str
) -> None:
    chosen = "zh" if choice == "中文" else "en"
    shopper = await shop.client.user("Pat", lang=app_lang)
    await shopper.send("/language")
    await shopper.tap(choice)
    await shopper.send(text)
    assert (await _last(shopper)).text == t(chosen, answer), "/language always wins over the message's language"
    await shopper.send("/orders")
    assert orders in ((await _last(shopper)).text or "")
