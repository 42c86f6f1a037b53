"""Outside tester: a group buy that fills to its maximum closes at once, but its last joiner was then told to
"open the chat with me to choose quantity and delivery" (or got a live panel with those buttons) although their
order was already made (pickup, pay online). Now the join that fills the buy closes it before it is answered:
the last joiner is told their order and how it is paid, in their language, and every participant (the last
joiner too), the leader and the group card show how it ended, with nothing left to choose.

End to end against the emulator, with shoppers the bot has never seen before they tap, in English and Chinese."""

from __future__ import annotations

import pytest

import handlers.groupbuy as groupbuy_handlers
from bot.emulator.client import MessageView, UserHandle
from bot.groupbuy_cards import refresher
from bot.sandbox import Stack
from store import groupbuy, orders
from tests.groupbuy.scene import group_buy_scene
from tests.groupbuy.test_groupbuy_e2e import labels
from tests.groupbuy.test_groupbuy_tester_d12_d15_e2e import current, text_of

# What each language's shopper must (and must never) read once the buy filled up.
WORDS = {
    "en": {
        "order": "Your order #{n}: ¥40.00, pickup, pay by card.",
        "sent": "I sent it to you in private chat.",
        "open": "Open the chat with me to pay for it.",
        "choose": "choose quantity and delivery",
        "panel": "🧾 Your order #{n}: 1 × ¥40.00 = ¥40.00.",
        "open_panel": "Nothing is charged now",
        "notice": "🎉 The group buy «Oolong tea» succeeded! Your order #{n}: 1 × ¥40.00",
        "pay": "💳 Pay ¥40.00",
        "leader": "🎉 Your group buy «Oolong tea» succeeded: 2 people, 2 units at ¥40.00 each",
        "closing_sent": "so it closes now: your order comes to you in private chat, with how to pay.",
        "closing_open": "so it closes now. Open the chat with me to see your order and pay for it.",
    },
    "zh": {
        "order": "您的订单 #{n}：¥40.00，自提，银行卡支付。",
        "sent": "订单已私聊发给您。",
        "open": "请打开与我的私聊完成付款。",
        "choose": "选择数量和收货方式",
        "panel": "🧾 您的订单 #{n}：1 × ¥40.00 = ¥40.00。",
        "open_panel": "现在不扣款",
        "notice": "🎉 拼团「乌龙茶」成功！您的订单 #{n}：1 × ¥40.00",
        "pay": "💳 支付 ¥40.00",
        "leader": "「乌龙茶」成团了：2 人参团，共 2 件，每件 ¥40.00",
        "closing_sent": "✅ 参团成功，拼团已满员，马上结束：您的订单稍后私聊发给您",
        "closing_open": "✅ 参团成功，拼团已满员，马上结束。请打开与我的私聊查看订单并付款。",
    },
}
CARD_SUCCESS = "✅ Success! Everyone pays ¥40.00."


async def _order_of(shop: Stack, group_buy_id: int, user_id: int) -> orders.OrderDetail:
    part = await groupbuy.participant(shop.db, group_buy_id, user_id)
    assert part is not None and part.order_id is not None, "the full buy made this participant's order"
    return await orders.get_order(shop.db, part.order_id, user_id=user_id)


async def _said(user: UserHandle, needle: str) -> MessageView | None:
    return next((m for m in await user.messages() if m.from_bot and needle in text_of(m)), None)


async def _nothing_to_choose(shop: Stack, user: UserHandle, lang: str) -> None:
    """No message in the shopper's chat still offers the open buy's choices or says nothing is charged yet."""
    for message in await user.messages():
        if not message.from_bot:
            continue
        now = await current(shop, user, message.message_id)
        assert WORDS[lang]["open_panel"] not in text_of(now), text_of(now)
        for label in labels(now):
            assert not any(word in label for word in ("Quantity", "数量", "Pickup", "自提", "Delivery", "快递")), label


async def _two_people_buy(
    shop: Stack, lang: str, last_started: bool
) -> tuple[UserHandle, UserHandle, UserHandle, groupbuy.GroupBuyView, MessageView, MessageView]:
    """Amy (new to the bot) joined a buy of at most 2 people and has her panel; Zoe is about to take the last
    place. Lena, Amy, Zoe, the buy, its card and Amy's panel."""
    await shop.client.set_flood_limits(False)
    unseen = {"Amy"} if last_started else {"Amy", "Zoe"}  # never seen: their first tap is in the group
    scene = await group_buy_scene(shop, "GB-FILL", ["Amy", "Zoe"], lang=lang, unseen=unseen, joined=1, maximum=2)
    lena, (amy, zoe), view, card = scene.leader, scene.shoppers, scene.view, scene.card
    await amy.open_deeplink(f"g_{view.id}")  # Amy's panel of the open buy, as the join toast offered
    amy_panel = await amy.last_message()
    assert amy_panel is not None and labels(amy_panel), "Amy's panel of the open buy has its buttons"
    return lena, amy, zoe, view, card, amy_panel


@pytest.mark.parametrize(("lang", "last_started"), [("en", False), ("zh", False), ("en", True), ("zh", True)])
async def test_the_join_that_fills_the_buy_is_answered_with_the_order(
    shop: Stack, lang: str, last_started: bool
) -> None:
    words = WORDS[lang]
    lena, amy, zoe, view, card, amy_panel = await _two_people_buy(shop, lang, last_started)
    group = card.chat_id

    tap = await zoe.tap("Join", message=card, chat=group)

    # The buy closed in that tap: Zoe's order exists (pickup at the buy's point, paid by card, awaiting payment).
    assert (await groupbuy.get(shop.db, view.id)).status == groupbuy.SUCCEEDED
    order = await _order_of(shop, view.id, zoe.id)
    assert (order.delivery_method, order.payment_method, order.status) == ("pickup", "card", "pending_payment")
    toast = tap.toast.text if tap.toast is not None else ""
    assert toast and words["order"].format(n=order.id) in toast, toast
    assert words["choose"] not in toast, toast
    if last_started:
        assert words["sent"] in toast, toast
    else:
        assert words["open"] in toast, toast
        assert (tap.toast.url or tap.url or "").endswith(f"start=g_{view.id}")  # type: ignore[union-attr]
        await zoe.open_deeplink(f"g_{view.id}")

    # Zoe's private chat: the finished buy with her order (no buttons), and the success notice with its Pay.
    panel = await shop.client.wait_for(lambda: _said(zoe, words["panel"].format(n=order.id)), timeout=10)
    assert labels(panel) == [], "nothing left to choose on a finished buy"
    notice = await shop.client.wait_for(lambda: _said(zoe, words["notice"].format(n=order.id)), timeout=10)
    assert labels(notice) == [words["pay"]]

    # Everyone else is told how it ended, too: Amy (panel redrawn, notice), Lena and the group card.
    amy_order = await _order_of(shop, view.id, amy.id)
    assert await shop.client.wait_for(lambda: _said(amy, words["notice"].format(n=amy_order.id)), timeout=10)
    await refresher(shop.app.ctx).idle()
    redrawn = await current(shop, amy, amy_panel.message_id)
    assert words["panel"].format(n=amy_order.id) in text_of(redrawn) and labels(redrawn) == [], text_of(redrawn)
    assert await shop.client.wait_for(lambda: _said(lena, words["leader"]), timeout=10)
    finished = next(m for m in await shop.client.messages(group) if m.message_id == card.message_id)
    assert CARD_SUCCESS in text_of(finished) and labels(finished) == [], text_of(finished)
    for person in (amy, zoe):
        await _nothing_to_choose(shop, person, lang)


@pytest.mark.parametrize(("lang", "last_started"), [("en", True), ("zh", False)])
async def test_a_buy_too_big_to_close_within_the_tap_says_it_closes_and_sends_no_open_panel(
    shop: Stack, monkeypatch: pytest.MonkeyPatch, lang: str, last_started: bool
) -> None:
    """Above CLOSE_IN_TAP_MAX people the deadline event (moved to now) closes the buy after the answer: the last
    joiner is told it closes and where their order comes, and gets no panel of the open buy."""
    monkeypatch.setattr(groupbuy_handlers, "CLOSE_IN_TAP_MAX", 1)
    words = WORDS[lang]
    _, amy, zoe, view, card, _ = await _two_people_buy(shop, lang, last_started)

    tap = await zoe.tap("Join", message=card, chat=card.chat_id)

    toast = tap.toast.text if tap.toast is not None else ""
    assert words["closing_sent" if last_started else "closing_open"] in toast, toast
    assert words["choose"] not in toast, toast
    if not last_started:
        await zoe.open_deeplink(f"g_{view.id}")
    order = await shop.client.wait_for(lambda: _has_order(shop, view.id, zoe.id), timeout=10)
    notice = await shop.client.wait_for(lambda: _said(zoe, words["notice"].format(n=order)), timeout=10)
    assert labels(notice) == [words["pay"]]
    await refresher(shop.app.ctx).idle()
    for person in (amy, zoe):
        await _nothing_to_choose(shop, person, lang)


async def _has_order(shop: Stack, group_buy_id: int, user_id: int) -> int | None:
    part = await groupbuy.participant(shop.db, group_buy_id, user_id)
    return part.order_id if part is not None else None
