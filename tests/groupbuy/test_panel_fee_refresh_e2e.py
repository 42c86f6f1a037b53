"""An outside tester's group-buy findings, end to end through the emulator (strict: no Telegram 4xx, no apology,
every callback answered), in English and Chinese, with members who never opened the bot before joining:

1. the participant's private panel never named the delivery fee, yet the order charged it: the panel, the
   details prompt and the Delivery toast now say it as a checkout does (fee, free-delivery threshold, or free);
   pickup says nothing about a fee;
2. a participant's panel stayed on "regular price · 1 joined · needs 2 more" after the group reached its goal:
   joins and leaves now refresh the panels when the price reached or the goal moves, and only then;
3. text typed at the wizard's preview was told "Please answer with text": it is now told the preview's buttons;
4. /cancel at the delivery-details prompt left the panel as the bare prompt, without buttons: the panel comes
   back with its buttons, and the prompt has a Back button."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bot.emulator.client import ChatHandle, MessageView, UserHandle
from bot.groupbuy_cards import refresher
from bot.sandbox import Stack
from store import groupbuy, users
from store.models import User
from tests.groupbuy.helpers import make_product, publish
from tests.groupbuy.test_groupbuy_e2e import bot_messages, fire_deadline, labels, started
from tests.groupbuy.test_groupbuy_tester_d12_d15_e2e import current, posted, text_of

# What each language's participant reads: delivery and pickup buttons, the details typed, where the goods go,
# the fee as a checkout says it (¥8.00 below ¥99.00 of goods), delivery free, the toast, Back, the /cancel note.
WORDS = {
    "en": {
        "delivery": "🚚 Delivery",
        "pickup": "📍 Pickup",
        "details": "Li Lei, 138 0013 8000, 1 Market Street",
        "to": "Receive: delivery to 1 Market Street",
        "fee": "🚚 Delivery: ¥8.00 (free from ¥99.00).",
        "free": "Delivery: free",
        "fee_word": "Delivery:",
        "saved": "Saved.",
        "back": "⬅️ Back",
        "ask": "Please send your delivery details",
        "kept": "↩️ Stopped: nothing was changed.",
        "in": "You are in: ",
        "join": "Join",
    },
    "zh-hans": {
        "delivery": "🚚 快递",
        "pickup": "📍 自提",
        "details": "李雷，138 0013 8000，市场街1号",
        "to": "收货方式：快递到 市场街1号",
        "fee": "🚚 运费：¥8.00（满 ¥99.00 免运费）。",
        "free": "运费：免费",
        "fee_word": "运费",
        "saved": "已保存。",
        "back": "⬅️ 返回",
        "ask": "请在一条消息中发送收货信息",
        "kept": "↩️ 已取消，未做任何更改。",
        "in": "您已参团：",
        "join": "参团",
    },
}


async def _panel(user: UserHandle, marker: str) -> MessageView:
    """The participant's newest panel ("You are in")."""
    return next(m for m in reversed(await user.messages()) if m.from_bot and marker in text_of(m))


async def _buy(
    shop: Stack,
    sku: str,
    *people: UserHandle,
    price: int = 3000,
    minimum: int = 2,
    tiers: tuple[groupbuy.Tier, ...] = (groupbuy.Tier(2, 2500),),
    pickup: str | None = "central",
    per_person: int = 4,
) -> tuple[UserHandle, ChatHandle, groupbuy.GroupBuyView, MessageView]:
    """Lena's buy (by default ¥30.00, ¥25.00 from 2 people) posted in a group with `people`."""
    await shop.client.set_flood_limits(False)
    product = await make_product(shop.db, stock=60, price=price, sku=sku)
    lena = await started(shop, "Lena")
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group("Street", members=[lena, *people], bot_admin=True)
    view = await publish(
        shop.db,
        product,
        leader_id=lena.id,
        chat_id=group.id,
        minimum=minimum,
        tiers=tiers,
        pickup=pickup,
        per_person=per_person,
    )
    return lena, group, view, await posted(shop, group, view)


# ---------------------------------------------------------------------------------------------- 1


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
async def test_the_panel_and_the_delivery_choice_name_the_fee_the_order_charges(shop: Stack, lang: str) -> None:
    words = WORDS[lang]
    alice, bob = await started(shop, "Alice", lang=lang), await started(shop, "Bob", lang=lang)
    _, group, view, card = await _buy(shop, "GB-FEE", alice, bob)
    await alice.tap(message=card, chat=group, row=0, col=0)  # Join, in the group card's language
    panel = await _panel(alice, words["in"])
    assert words["fee_word"] not in text_of(panel), "pickup (the default here) says nothing about a fee"

    # Delivery without saved details: the prompt says what delivery adds, and has a way back.
    await alice.tap(words["delivery"], message=panel)
    prompt = await current(shop, alice, panel.message_id)
    assert words["ask"] in text_of(prompt) and words["fee"] in text_of(prompt), text_of(prompt)
    assert labels(prompt) == [words["back"]], labels(prompt)
    await alice.send(words["details"])
    panel = await _panel(alice, words["in"])
    text = text_of(panel)
    assert words["to"] in text and words["fee"] in text, text
    assert text.index(words["to"]) < text.index(words["fee"]), "the fee right below where the goods go"

    # Pickup: no fee, the plain toast.
    tap = await alice.tap(words["pickup"], message=panel)
    assert tap.toast is not None and tap.toast.text == words["saved"], tap.toast
    assert words["fee_word"] not in text_of(await current(shop, alice, panel.message_id))

    # Bob gave his details at an earlier checkout: Delivery is saved at once, and its toast names the fee.
    await _saved_contact(shop, bob.id)
    await bob.tap(message=card, chat=group, row=0, col=0)
    await refresher(shop.app.ctx).idle()  # his join reached the goal: Alice's panel follows (part 2)
    bobs = await _panel(bob, words["in"])
    tap = await bob.tap(words["delivery"], message=bobs)
    assert tap.toast is not None and tap.toast.text == f"{words['saved']} {words['fee']}", tap.toast
    assert words["fee"] in text_of(await current(shop, bob, bobs.message_id))
    # 4 × ¥25.00 = ¥100.00 reaches the threshold: delivery is free, as the order would have it.
    for _ in range(3):
        await bob.tap("➕", message=bobs)
    text = text_of(await current(shop, bob, bobs.message_id))
    assert words["free"] in text and "¥8.00" not in text, text
    for _ in range(3):
        await bob.tap("➖", message=bobs)
    assert words["fee"] in text_of(await current(shop, bob, bobs.message_id))

    # What the panels said is what the orders charge.
    await fire_deadline(shop, view.id)
    await refresher(shop.app.ctx).idle()
    charged = {p.user_id: (p.order_total, p.order_delivery_fee) for p in await groupbuy.participants(shop.db, view.id)}
    assert charged == {alice.id: (2500, 0), bob.id: (2500 + 800, 800)}, charged


async def _saved_contact(shop: Stack, user_id: int) -> None:
    async with shop.db.tx() as session:
        await session.execute(
            update(User)
            .where(User.id == user_id)
            .values(contact_name="Bob", phone="+8613800138000", address="2 Market Street")
        )


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
async def test_a_never_seen_member_of_a_delivery_only_buy_sees_the_fee_from_the_start(shop: Stack, lang: str) -> None:
    """No pickup point: the order will be delivered, so the panel names the fee before any choice."""
    words = WORDS[lang]
    newcomer = await shop.client.user("Newcomer", lang=lang)  # never opened the bot
    _, group, view, card = await _buy(shop, "GB-ONLY", newcomer, pickup=None)
    tap = await newcomer.tap(message=card, chat=group, row=0, col=0)
    assert tap.toast is not None and (tap.toast.url or "").endswith(f"start=g_{view.id}"), tap.toast
    await newcomer.open_deeplink(f"g_{view.id}")
    panel = await _panel(newcomer, words["in"])
    assert words["fee"] in text_of(panel), text_of(panel)
    assert words["pickup"] not in labels(panel), labels(panel)
    await refresher(shop.app.ctx).idle()


# ---------------------------------------------------------------------------------------------- 2


async def _edits_to(shop: Stack, user: UserHandle, message_id: int) -> int:
    return sum(
        1
        for call in await shop.client.calls("editMessageText")
        if str(call.get("params", {}).get("chat_id")) == str(user.id)
        and int(call.get("params", {}).get("message_id") or 0) == message_id
    )


async def test_joins_and_leaves_refresh_the_panels_when_the_price_or_the_goal_moves_only(shop: Stack) -> None:
    alice = await started(shop, "Alice")
    li = await started(shop, "李雷", lang="zh-hans")
    carol, dave = await started(shop, "Carol"), await started(shop, "Dave")
    eve = await shop.client.user("Eve")  # never opened the bot: her panel waits for her /start
    # The tester's buy: ¥6.90, ¥6.21 from 3 people, at least 3.
    _, group, view, card = await _buy(
        shop, "GB-NOW", alice, li, carol, dave, eve, price=690, minimum=3, tiers=(groupbuy.Tier(3, 621),)
    )
    cards = refresher(shop.app.ctx)

    async def join(person: UserHandle) -> None:
        await person.tap(message=card, chat=group, row=0, col=0)
        await cards.idle()

    await join(alice)
    await join(li)
    alice_panel, li_panel = await _panel(alice, "You are in"), await _panel(li, "您已参团")
    assert "Price now: ¥6.90 (the regular price)" in text_of(alice_panel), text_of(alice_panel)
    assert await _edits_to(shop, alice, alice_panel.message_id) == 0, "1 → 2 joined moves neither price nor goal"

    await join(eve)  # 3: the goal is reached, at ¥6.21; Eve's panel waits, nobody else's does
    alice_now = text_of(await current(shop, alice, alice_panel.message_id))
    assert "Price now: ¥6.21 (regular ¥6.90)" in alice_now and "3 joined · goal of 3 reached" in alice_now, alice_now
    assert "Needs" not in alice_now, alice_now
    li_now = text_of(await current(shop, li, li_panel.message_id))
    assert "当前价格：¥6.21（原价 ¥6.90）" in li_now and "已达成团目标 3 人" in li_now, li_now
    await eve.open_deeplink(f"g_{view.id}")
    eve_panel = await _panel(eve, "You are in")
    assert "Price now: ¥6.21" in text_of(eve_panel), text_of(eve_panel)
    edits = {p.id: await _edits_to(shop, p, m.message_id) for p, m in ((alice, alice_panel), (li, li_panel))}
    assert edits == {alice.id: 1, li.id: 1}, edits

    # 4, 5, then back to 4 and 3: still the goal and ¥6.21, so no panel is edited (the group card counts them).
    await join(carol)
    await join(dave)
    for person in (dave, carol):
        await person.tap("Leave", message=card, chat=group)
        await cards.idle()
    assert {p.id: await _edits_to(shop, p, m.message_id) for p, m in ((alice, alice_panel), (li, li_panel))} == edits
    assert await _edits_to(shop, eve, eve_panel.message_id) == 0

    # 2: below the goal again, the regular price: every live panel says so.
    await li.tap(message=card, chat=group, row=0, col=1)  # Leave, in the card's language
    await cards.idle()
    for person, message, needle in (
        (alice, alice_panel, "Needs 1 more person to go ahead: then ¥6.21 each."),
        (eve, eve_panel, "Price now: ¥6.90 (the regular price)"),
    ):
        now = text_of(await current(shop, person, message.message_id))
        assert needle in now, now
    assert await _edits_to(shop, alice, alice_panel.message_id) == 2


# ---------------------------------------------------------------------------------------------- 3


@pytest.mark.parametrize(
    ("lang", "point", "typed", "publish", "stop"),
    [
        ("en", "Central Store", ("tomorrow 8pm", "1h"), "«✅ Publish in the group»", "«✖️ Stop set-up»"),
        ("zh-hans", "中心门店", ("明天", "1h"), "「✅ 发布到群」", "「✖️ 停止设置」"),
    ],
)
async def test_text_at_the_wizards_preview_is_told_the_previews_buttons(
    shop: Stack, lang: str, point: str, typed: tuple[str, ...], publish: str, stop: str
) -> None:
    await make_product(shop.db, stock=40, price=10000, sku="GB-TEA")
    lena = await started(shop, "Lena", lang=lang)
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group("Neighbours", members=[lena], bot_admin=True)
    await lena.send("/groupbuy", chat=group)
    for answer in ("gb-tea", "3+ 10%, 5+ 20%", "2 10 3", "24h"):
        await lena.send(answer)
    await lena.tap(point)
    preview = await lena.last_message()
    assert preview is not None and any("✅" in label for label in labels(preview)), labels(preview)

    for text in typed:
        await lena.send(text)
        reply = text_of(await lena.last_message())
        assert publish in reply and stop in reply, reply
        assert "answer with text" not in reply and "请用文字回答" not in reply, reply
    await lena.tap(message=preview, row=0, col=0)  # the preview's buttons still work: Publish
    assert await groupbuy.open_buys_in(shop.db, group.id), "published"
    assert (await bot_messages(shop, group))[-1].buttons, "the card is in the group"
    await refresher(shop.app.ctx).idle()


# ---------------------------------------------------------------------------------------------- 4


@pytest.mark.parametrize(("lang", "never_seen"), [("en", False), ("zh-hans", True)])
async def test_cancel_and_back_at_the_details_prompt_give_the_panel_back(
    shop: Stack, lang: str, never_seen: bool
) -> None:
    words = WORDS[lang]
    alice = await shop.client.user("Alice", lang=lang) if never_seen else await started(shop, "Alice", lang=lang)
    _, group, view, card = await _buy(shop, "GB-BACK", alice)
    await alice.tap(message=card, chat=group, row=0, col=0)
    if never_seen:
        await alice.open_deeplink(f"g_{view.id}")
    panel = await _panel(alice, words["in"])
    drawn = labels(panel)
    assert words["delivery"] in drawn, drawn

    # Back on the prompt: the panel in its place, with its buttons; what is typed then is not details.
    await alice.tap(words["delivery"], message=panel)
    await alice.tap(words["back"], message=panel)
    back = await current(shop, alice, panel.message_id)
    assert labels(back) == drawn and words["in"] in text_of(back), (labels(back), text_of(back))
    await alice.send(words["details"])
    part = await groupbuy.participant(shop.db, view.id, alice.id)
    assert part is not None and part.address is None, part

    # /cancel on the prompt: the panel again, with its buttons, below; the prompt keeps no button.
    await alice.tap(words["delivery"], message=panel)
    await alice.send("/cancel")
    again = await alice.last_message()
    assert again is not None and again.message_id != panel.message_id
    text = text_of(again)
    assert text.startswith(words["kept"]) and words["in"] in text, text
    assert labels(again) == drawn, labels(again)
    assert labels(await current(shop, alice, panel.message_id)) == []
    part = await groupbuy.participant(shop.db, view.id, alice.id)
    assert part is not None and part.delivery_method == "pickup" and part.address is None, part

    # The panel sent back is the live one: its buttons work, and it follows the buy.
    await alice.tap("➕", message=again)
    assert words["in"] + "2" in text_of(await current(shop, alice, again.message_id))
    await alice.tap(words["delivery"], message=again)
    await alice.send(words["details"])
    done = await alice.last_message()
    assert done is not None and words["to"] in text_of(done), text_of(done)
    assert labels(await current(shop, alice, again.message_id)) == [], "the answered prompt keeps no Back"
    await refresher(shop.app.ctx).idle()
