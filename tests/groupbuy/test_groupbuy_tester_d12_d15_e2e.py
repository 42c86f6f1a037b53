"""An outside tester's group-buy findings D12-D15, end to end against the emulator: "Close now" asks first and
the leader's screen then shows the finished buy (D12); a finished card is unpinned and shows its outcome, not a
deadline (D13); participants' private panels follow every change of a buy they joined, never with an edit that
changes nothing (D14); the card's counter is in words, in both languages (D15)."""

from __future__ import annotations

from datetime import timedelta

from bot.emulator.client import ChatHandle, MessageView, UserHandle
from bot.groupbuy_cards import post_card, refresher
from bot.sandbox import Stack
from store import groupbuy, users
from store.models import utcnow
from tests.groupbuy.helpers import POLICY, make_product, publish
from tests.groupbuy.scene import close_question, group_buy_scene
from tests.groupbuy.test_groupbuy_e2e import bot_messages, fire_deadline, labels, started
from tests.strict import StrictTelegram


def text_of(message: MessageView | None) -> str:
    assert message is not None
    return message.text or message.caption or ""


async def current(shop: Stack, chat: ChatHandle | UserHandle, message_id: int) -> MessageView:
    chat_id = chat.id if isinstance(chat, ChatHandle) else chat.private_chat_id
    return next(m for m in await shop.client.messages(chat_id) if m.message_id == message_id)


async def leader_and_group(shop: Stack, *people: UserHandle, admin: bool = True) -> tuple[UserHandle, ChatHandle]:
    lena = await started(shop, "Lena")
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group("Street", members=[lena, *people], bot_admin=admin)
    return lena, group


async def posted(shop: Stack, group: ChatHandle, view: groupbuy.GroupBuyView) -> MessageView:
    await post_card(shop.app.ctx, view)
    return (await bot_messages(shop, group))[-1]


# ---------------------------------------------------------------------------------------------- D12


async def test_close_now_asks_first_and_the_leaders_screen_then_shows_the_finished_buy(shop: Stack) -> None:
    scene = await group_buy_scene(shop, "GB-ONE", ["Alice", "Bob"], leader_first=False)
    lena, view = scene.leader, scene.view

    detail = await close_question(lena, view)
    ask = await current(shop, lena, detail.message_id)
    assert "Close «Oolong tea» now? 2 people have joined; everyone pays ¥40.00 each" in text_of(ask), text_of(ask)
    assert labels(ask) == ["✅ Yes, close now", "⬅️ Back"]
    assert (await groupbuy.get(shop.db, view.id)).is_open, "nothing happens before the Yes"
    await lena.tap("Back", message=detail)
    assert any("Close now" in label for label in labels(await current(shop, lena, detail.message_id)))

    await lena.tap("Close now", message=detail)
    tap = await lena.tap("Yes, close now", message=detail)
    assert tap.toast is not None and "Closed" in (tap.toast.text or "")
    assert (await groupbuy.get(shop.db, view.id)).status == groupbuy.SUCCEEDED
    closed = await current(shop, lena, detail.message_id)
    text = text_of(closed)
    assert "· succeeded ·" in text and "✅ Success! Everyone pays ¥40.00" in text, text
    assert "Ends" not in text and "🏁 Ended" in text, text
    left = labels(closed)
    assert not any(word in label for label in left for word in ("+24h", "Max", "Close now", "Cancel")), left
    await refresher(shop.app.ctx).idle()


# ---------------------------------------------------------------------------------------------- D13


async def _card_finished(shop: Stack, group: ChatHandle, card: MessageView, outcome: str) -> bool:
    now = await current(shop, group, card.message_id)
    return not now.pinned and outcome in text_of(now) and "Ends" not in text_of(now)


async def test_finished_cards_are_unpinned_and_show_their_outcome_not_a_deadline(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    alice, bob = await started(shop, "Alice"), await started(shop, "Bob")
    lena, group = await leader_and_group(shop, alice, bob)
    cards: dict[str, tuple[groupbuy.GroupBuyView, MessageView]] = {}
    for index, name in enumerate(("succeeded", "failed", "cancelled", "early")):
        product = await make_product(shop.db, stock=20, price=5000, sku=f"GB-{index}")
        minimum = 3 if name == "failed" else 2
        view = await publish(
            shop.db, product, leader_id=lena.id, chat_id=group.id, minimum=minimum, tiers=(groupbuy.Tier(2, 4000),)
        )
        card = await posted(shop, group, view)
        assert card.pinned, "pinned while open (the bot may pin here)"
        if name in ("succeeded", "early"):
            for person in (alice, bob):
                await person.tap("Join", message=card, chat=group)
        cards[name] = (view, card)

    await fire_deadline(shop, cards["succeeded"][0].id)
    await fire_deadline(shop, cards["failed"][0].id)
    await lena.send("/leader")
    for name, first, second in (("cancelled", "Cancel group buy", "Yes, cancel it"), ("early", "Close now", "Yes")):
        await lena.tap(f"#{cards[name][0].id}")
        await lena.tap(first)
        await lena.tap(second)
        await lena.tap("Back")

    outcomes = {
        "succeeded": "✅ Success!",
        "failed": "❌ Not enough people joined",
        "cancelled": "🚫 Cancelled by the organiser",
        "early": "✅ Success!",
    }
    for name, outcome in outcomes.items():
        card = cards[name][1]
        assert await shop.client.wait_for(lambda c=card, o=outcome: _card_finished(shop, group, c, o), timeout=10), (
            name,
            text_of(await current(shop, group, card.message_id)),
        )
    finished = text_of(await current(shop, group, cards["cancelled"][1].message_id))
    assert "⏰" not in finished and "🏁 Ended" in finished, finished
    await refresher(shop.app.ctx).idle()


async def test_a_refused_unpin_is_taken_quietly(shop: Stack, strict: StrictTelegram) -> None:
    """Unpinned by hand before the buy ended: Telegram refuses the bot's unpin; the card is still redrawn and
    nobody sees an error."""
    product = await make_product(shop.db, stock=20)
    lena, group = await leader_and_group(shop)
    view = await publish(shop.db, product, leader_id=lena.id, chat_id=group.id, minimum=3)
    card = await posted(shop, group, view)
    await shop.app.ctx.bot.unpin_chat_message(chat_id=group.id, message_id=card.message_id)
    with strict.expect("message to unpin not found"):
        await fire_deadline(shop, view.id)
        assert await shop.client.wait_for(
            lambda: _card_finished(shop, group, card, "❌ Not enough people joined"), timeout=10
        )
        await refresher(shop.app.ctx).idle()


async def test_no_unpin_is_tried_where_the_bot_may_not_pin(shop: Stack) -> None:
    product = await make_product(shop.db, stock=20)
    lena, group = await leader_and_group(shop, admin=False)
    view = await publish(shop.db, product, leader_id=lena.id, chat_id=group.id, minimum=3)
    card = await posted(shop, group, view)
    await fire_deadline(shop, view.id)
    assert await shop.client.wait_for(
        lambda: _card_finished(shop, group, card, "❌ Not enough people joined"), timeout=10
    )
    await refresher(shop.app.ctx).idle()
    assert await shop.client.calls("unpinChatMessage") == []


# ---------------------------------------------------------------------------------------------- D14


async def _panel_of(shop: Stack, user: UserHandle, group_buy_title: str) -> MessageView:
    return next(m for m in await user.messages() if m.from_bot and "You are in" in text_of(m)
                and group_buy_title in text_of(m))  # fmt: skip


async def _edits_of(shop: Stack, user: UserHandle, message_id: int) -> int:
    calls = await shop.client.calls("editMessageText")
    return sum(
        1
        for call in calls
        if str(call.get("params", {}).get("chat_id")) == str(user.id)
        and int(call.get("params", {}).get("message_id") or 0) == message_id
    )


async def test_participants_panels_follow_every_change_of_the_buy(shop: Stack) -> None:
    product = await make_product(shop.db, stock=40, sku="GB-PANEL")
    alice, bob = await started(shop, "Alice"), await started(shop, "Bob")
    lena, group = await leader_and_group(shop, alice, bob)
    view = await publish(shop.db, product, leader_id=lena.id, chat_id=group.id, deadline=utcnow() + timedelta(hours=5))
    card = await posted(shop, group, view)
    await alice.tap("Join", message=card, chat=group)
    panel = await _panel_of(shop, alice, "Oolong tea")
    before = text_of(panel)
    assert "Quantity: 1" in labels(panel)

    await lena.send("/leader")
    await lena.tap(f"#{view.id}")
    await lena.tap("+24h")
    cards = refresher(shop.app.ctx)
    await cards.idle()
    extended = await current(shop, alice, panel.message_id)
    assert text_of(extended) != before and "1d " in text_of(extended), text_of(extended)
    assert await shop.client.wait_for(lambda: _any_has(alice, "now ends"), timeout=10), (
        "told of the change, as well as the panel redrawn"
    )

    await lena.tap("Max")
    await cards.idle()
    assert "up to 8 people" in text_of(await current(shop, alice, panel.message_id))
    assert await shop.client.wait_for(lambda: _any_has(alice, "at most 8 people"), timeout=10)

    # Nothing changed since: asking again sends no edit (never an edit that changes nothing).
    edits = await _edits_of(shop, alice, panel.message_id)
    cards.request_panels(view.id)
    cards.request_panels(view.id)
    await cards.idle()
    assert await _edits_of(shop, alice, panel.message_id) == edits

    await bob.tap("Join", message=card, chat=group)
    await lena.tap("Back")
    await lena.tap(f"#{view.id}")
    await lena.tap("Close now")
    await lena.tap("Yes")
    await cards.idle()
    closed = await current(shop, alice, panel.message_id)
    assert "✅ Success!" in text_of(closed) and labels(closed) == [], text_of(closed)
    assert await shop.client.wait_for(lambda: _any_has(alice, "succeeded! Your order"), timeout=10)


async def _any_has(user: UserHandle, needle: str) -> bool:
    return any(needle in text_of(m) for m in await user.messages() if m.from_bot)


async def test_a_participants_panel_shows_a_failed_buy_in_their_language(shop: Stack) -> None:
    product = await make_product(shop.db, stock=40, sku="GB-FAIL")
    li = await started(shop, "李雷", lang="zh-hans")
    lena, group = await leader_and_group(shop, li)
    view = await publish(shop.db, product, leader_id=lena.id, chat_id=group.id, minimum=3)
    card = await posted(shop, group, view)
    await li.tap("Join", message=card, chat=group)
    panel = next(m for m in await li.messages() if m.from_bot and "您已参团" in text_of(m))
    await fire_deadline(shop, view.id)
    await refresher(shop.app.ctx).idle()
    failed = await current(shop, li, panel.message_id)
    assert "人数不足，拼团失败" in text_of(failed) and labels(failed) == [], text_of(failed)


# ---------------------------------------------------------------------------------------------- D15


async def test_the_cards_counter_is_in_words_in_both_languages(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    alice, bob = await started(shop, "Alice"), await started(shop, "Bob")
    lena, group = await leader_and_group(shop, alice, bob)
    plain = await publish(shop.db, await make_product(shop.db, sku="GB-A"), leader_id=lena.id, chat_id=group.id,
                          minimum=3, tiers=(groupbuy.Tier(3, 9000),))  # fmt: skip
    capped = await publish(shop.db, await make_product(shop.db, sku="GB-B"), leader_id=lena.id, chat_id=group.id,
                           minimum=2, maximum=20, tiers=(groupbuy.Tier(2, 9000),))  # fmt: skip
    single = await publish(shop.db, await make_product(shop.db, sku="GB-C"), leader_id=lena.id, chat_id=group.id,
                           minimum=1, maximum=1, per_person=1, tiers=(groupbuy.Tier(1, 9000),))  # fmt: skip
    plain_card = await posted(shop, group, plain)
    capped_card = await posted(shop, group, capped)
    single_card = await posted(shop, group, single)
    assert "📊 0 joined · 3 needed, " in text_of(plain_card), text_of(plain_card)
    assert "0/3" not in text_of(plain_card)
    assert "📊 0 joined · 2 needed · up to 20 people, " in text_of(capped_card)
    assert "📊 0 joined · 1 needed · up to 1 person, " in text_of(single_card)

    for person in (alice, bob):
        await person.tap("Join", message=capped_card, chat=group)
    await refresher(shop.app.ctx).idle()
    reached = text_of(await current(shop, group, capped_card.message_id))
    assert "📊 2 joined · goal of 2 reached · up to 20 people, " in reached, reached

    spec = groupbuy.GroupBuySpec(
        chat_id=group.id,
        product_id=await make_product(shop.db, sku="GB-ZH"),
        tiers=(groupbuy.Tier(3, 9000),),
        min_participants=3,
        max_participants=20,
        per_person_limit=2,
        deadline=utcnow() + timedelta(hours=24),
        lang="zh",
    )
    chinese = await posted(shop, group, await groupbuy.publish(shop.db, lena.id, spec, POLICY))
    assert "📊 已参团 0 人 · 需 3 人成团 · 最多 20 人，" in text_of(chinese), text_of(chinese)
    await refresher(shop.app.ctx).idle()


async def test_a_join_after_the_close_question_moves_the_price_and_the_leader_is_asked_again(shop: Stack) -> None:
    """Outside tester: the question said "everyone pays ¥121.60", a fifth person joined, Yes closed the buy at
    ¥115.20. The Yes carries the price it showed; a moved price asks again with the buy as it is now."""
    scene = await group_buy_scene(
        shop, "GB-MOVE", ["Alice", "Bob", "Carol"], leader_first=False, joined=2, tiers=(groupbuy.Tier(3, 4000),)
    )
    lena, carol, view, card, group = scene.leader, scene.shoppers[2], scene.view, scene.card, scene.group
    detail = await close_question(lena, view)
    assert "everyone pays ¥50.00 each" in text_of(await current(shop, lena, detail.message_id))

    await carol.tap("Join", message=card, chat=group)  # the third: the ¥40.00 tier
    tap = await lena.tap("Yes, close now", message=detail)
    assert tap.toast is not None and tap.toast.show_alert and "price changed" in (tap.toast.text or "")
    assert (await groupbuy.get(shop.db, view.id)).is_open, "not closed at a price the leader never saw"
    asked = text_of(await current(shop, lena, detail.message_id))
    assert "3 people have joined; everyone pays ¥40.00 each" in asked, asked

    tap = await lena.tap("Yes, close now", message=detail)
    assert tap.toast is not None and "Closed" in (tap.toast.text or "")
    closed = await groupbuy.get(shop.db, view.id)
    assert closed.status == groupbuy.SUCCEEDED and closed.final_price == 4000
    await refresher(shop.app.ctx).idle()
