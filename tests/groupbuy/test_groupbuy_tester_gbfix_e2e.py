"""An outside tester's group-buy findings, end to end against the emulator (strict: no Telegram 4xx, no apology,
every callback answered):

1. a double-tapped "Yes, close now" / "Yes, cancel it" ends on the outcome of the first tap, never on "already
   ended";
2. a group-buy "Pay" on an order that is paid by now says "Already paid" and loses its keyboard, no invoice;
3. participants' private panels of an ended buy show the outcome, not "Nothing is charged now", no buttons;
4. the leader's "Saved." says who was told only when somebody was; a double-tapped "+24h" extends once;
5. the leader's list of participants shows each one's payment method before the buy closes;
6. a second /groupbuy in a group (or one from a non-leader) gets a short hint in the sender's language."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.emulator.client import ChatHandle, MessageView, UserHandle
from bot.groupbuy_cards import refresher
from bot.sandbox import Stack
from bot.tap_guard import WINDOW_SECONDS
from store import groupbuy, users
from tests.groupbuy.helpers import make_product, publish
from tests.groupbuy.test_groupbuy_e2e import bot_messages, fire_deadline, labels, started
from tests.groupbuy.test_groupbuy_tester_d12_d15_e2e import current, posted, text_of
from tests.groupbuy.test_leader_buy_screen_e2e import _buy_screen, _notices, _one_joined


async def _two_joined(
    shop: Stack,
    sku: str,
    *,
    lang: str = "en",
    leader_lang: str = "en",
    minimum: int = 2,
    tiers: tuple[groupbuy.Tier, ...] = (groupbuy.Tier(2, 4000),),
) -> tuple[UserHandle, UserHandle, UserHandle, ChatHandle, groupbuy.GroupBuyView, MessageView]:
    """Alice and Bob (speaking `lang`) joined the buy of Lena (speaking `leader_lang`), by default 2 people for
    ¥40.00, minimum 2: Alice, Bob, Lena, the group, the buy and its card."""
    await shop.client.set_flood_limits(False)
    product = await make_product(shop.db, stock=20, price=5000, sku=sku)
    alice, bob = await started(shop, "Alice", lang=lang), await started(shop, "Bob", lang=lang)
    lena = await started(shop, "Lena", lang=leader_lang)
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group("Street", members=[lena, alice, bob], bot_admin=True)
    view = await publish(shop.db, product, leader_id=lena.id, chat_id=group.id, minimum=minimum, tiers=tiers)
    card = await posted(shop, group, view)
    for person in (alice, bob):
        await person.tap("Join", message=card, chat=group)
    return alice, bob, lena, group, view, card


# ---------------------------------------------------------------------------------------------- 1


@pytest.mark.parametrize(
    ("lang", "ask", "yes", "status", "first", "again", "outcome"),
    [
        ("en", "Close now", "Yes, close now", groupbuy.SUCCEEDED, "Closed", "Already closed", "· succeeded ·"),
        ("zh-hans", "立即结束", "确定，现在结束", groupbuy.SUCCEEDED, "已结束：", "已经结束", "· 已成团 ·"),
        ("zh-hans", "取消拼团", "确定取消", groupbuy.CANCELLED, "拼团已取消", "已经取消", "· 已取消 ·"),
        (
            "en",
            "Cancel group buy",
            "Yes, cancel it",
            groupbuy.CANCELLED,
            "Group buy cancelled",
            "Already cancelled",
            "· cancelled ·",
        ),
    ],
)
async def test_a_double_tapped_yes_ends_on_the_first_taps_outcome(
    shop: Stack, lang: str, ask: str, yes: str, status: str, first: str, again: str, outcome: str
) -> None:
    _, _, lena, _, view, _ = await _two_joined(shop, "GB-TWICE", leader_lang=lang)
    screen = await _buy_screen(shop, lena, view.id)
    await lena.tap(ask, message=screen)
    taps = await asyncio.gather(lena.tap(yes, message=screen), lena.tap(yes, message=screen))
    await shop.client.settle()
    assert (await groupbuy.get(shop.db, view.id)).status == status
    toasts = sorted((tap.toast.text or "") for tap in taps if tap.toast is not None)
    assert len(toasts) == 2 and {t[: len(again)] for t in toasts} >= {again}, toasts
    assert any(t.startswith(first) for t in toasts), toasts
    assert not any(tap.toast is not None and tap.toast.show_alert for tap in taps), "no warning"
    after = text_of(await current(shop, lena, screen.message_id))
    assert outcome in after and "⚠️" not in after, after

    await refresher(shop.app.ctx).idle()


# ---------------------------------------------------------------------------------------------- 2


async def _invoices(user: UserHandle) -> list[MessageView]:
    return [m for m in await user.messages() if m.from_bot and m.invoice is not None]


@pytest.mark.parametrize(
    ("lang", "already"),
    [("en", "Already paid: order #{n} needs no more payment."), ("zh-hans", "已付款：订单 #{n} 无需再次支付。")],
)
async def test_pay_on_a_paid_group_buy_order_says_already_paid_and_loses_its_button(
    shop: Stack, lang: str, already: str
) -> None:
    alice, _, _, _, view, _ = await _two_joined(shop, "GB-PAID", lang=lang)
    await fire_deadline(shop, view.id)

    async def notice() -> MessageView | None:
        return next((m for m in await alice.messages() if m.from_bot and any("💳" in b for b in labels(m))), None)

    told = await shop.client.wait_for(notice, timeout=10)
    pay = next(b for b in labels(told) if "💳" in b)
    await alice.tap(pay, message=told)
    (invoice,) = await shop.client.wait_for(lambda: _invoices(alice), timeout=10)
    assert (await alice.pay(invoice))["status"] == "paid"
    await shop.client.settle()
    invoices = len(await _invoices(alice))
    order_id = (await groupbuy.participant(shop.db, view.id, alice.id)).order_id  # type: ignore[union-attr]

    await asyncio.sleep(WINDOW_SECONDS + 0.1)  # a later tap, not a double tap
    tap = await alice.tap(pay, message=told)
    assert tap.toast is not None and tap.toast.text == already.format(n=order_id), tap.toast
    await shop.client.settle()
    assert labels(await current(shop, alice, told.message_id)) == [], "the stale Pay is gone"
    assert len(await _invoices(alice)) == invoices, "no new invoice"
    await refresher(shop.app.ctx).idle()


# ---------------------------------------------------------------------------------------------- 3


async def _panel(user: UserHandle, group_buy_id: int) -> MessageView:
    """The participant's private panel: the bot's message in their chat that showed "You are in"."""
    for message in await user.messages():
        if message.from_bot and ("You are in" in text_of(message) or "您已参团" in text_of(message)):
            return message
    raise AssertionError(f"no panel of buy {group_buy_id}")


@pytest.mark.parametrize(
    ("ending", "lang", "outcome"),
    [
        ("deadline", "en", "🧾 Your order #"),
        ("close", "en", "🧾 Your order #"),
        ("deadline_short", "en", "nothing will be charged"),
        ("cancel", "en", "nothing will be charged"),
        ("close", "zh-hans", "🧾 您的订单 #"),
        ("cancel", "zh-hans", "不会扣款"),
    ],
)
async def test_participants_panels_of_an_ended_buy_show_the_outcome(
    shop: Stack, ending: str, lang: str, outcome: str
) -> None:
    minimum = 3 if ending == "deadline_short" else 2
    alice, bob, lena, _, view, _ = await _two_joined(
        shop, "GB-PANEL", lang=lang, minimum=minimum, tiers=(groupbuy.Tier(3, 4000),)
    )
    panels = {person.id: await _panel(person, view.id) for person in (alice, bob)}
    assert all("Nothing is charged now" in text_of(p) or "现在不扣款" in text_of(p) for p in panels.values())

    if ending.startswith("deadline"):
        await fire_deadline(shop, view.id)
    else:
        screen = await _buy_screen(shop, lena, view.id)
        await lena.tap("Close now" if ending == "close" else "Cancel group buy", message=screen)
        await lena.tap("Yes", message=screen)
    await refresher(shop.app.ctx).idle()

    for person in (alice, bob):
        now = await current(shop, person, panels[person.id].message_id)
        text = text_of(now)
        assert outcome in text, text
        assert "Nothing is charged now" not in text and "现在不扣款" not in text, text
        assert now.buttons == [], "no join, leave, quantity or delivery buttons on an ended buy"


# ---------------------------------------------------------------------------------------------- 4


@pytest.mark.parametrize(
    ("lang", "saved", "extended", "saved_told"),
    [
        ("en", "Saved.", "Deadline extended.", "Saved. 1 person who joined was told."),
        ("zh-hans", "已保存。", "截止时间已延长。", "已保存。已通知 1 位参团者。"),
    ],
)
async def test_saved_says_who_was_told_only_when_somebody_joined(
    shop: Stack, lang: str, saved: str, extended: str, saved_told: str
) -> None:
    await shop.client.set_flood_limits(False)
    product = await make_product(shop.db, stock=40, price=5000, sku="GB-SAVED")
    alice = await started(shop, "Alice", lang=lang)
    lena = await started(shop, "Lena", lang=lang)
    plus = "+24h" if lang == "en" else "+24小时"
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group("Street", members=[lena, alice], bot_admin=True)
    tiers = (groupbuy.Tier(3, 4000),)
    view = await publish(shop.db, product, leader_id=lena.id, chat_id=group.id, per_person=1, tiers=tiers)
    card = await posted(shop, group, view)
    screen = await _buy_screen(shop, lena, view.id)
    maxima = [label for label in labels(screen) if label.startswith("👥")]

    tap = await lena.tap(maxima[0], message=screen)
    assert tap.toast is not None and tap.toast.text == saved, tap.toast
    tap = await lena.tap(plus, message=screen)
    assert tap.toast is not None and tap.toast.text == extended, tap.toast

    await alice.tap(labels(card)[0], message=card, chat=group)  # Join (the card speaks the group's language)
    assert (await groupbuy.get(shop.db, view.id)).joined == 1
    screen = await _buy_screen(shop, lena, view.id)
    other = [label for label in labels(screen) if label.startswith("👥")][-1]
    tap = await lena.tap(other, message=screen)
    assert tap.toast is not None and tap.toast.text == saved_told, tap.toast
    await refresher(shop.app.ctx).idle()


async def test_a_double_tapped_extend_moves_the_deadline_once_per_tap_of_the_screen(shop: Stack) -> None:
    alice, lena, view, screen = await _one_joined(shop, stock=40, sku="GB-EXT", per_person=1)
    before = (await groupbuy.get(shop.db, view.id)).deadline

    taps = await asyncio.gather(lena.tap("+24h", message=screen), lena.tap("+24h", message=screen))
    await shop.client.settle()
    assert (await groupbuy.get(shop.db, view.id)).deadline == before + timedelta(hours=24), "extended once"
    told = "Deadline extended. 1 person who joined was told."
    assert [tap.toast.text if tap.toast else None for tap in taps] == [told, told], taps
    assert not any(tap.toast is not None and tap.toast.show_alert for tap in taps)

    # Tapped again on the screen it now shows (a new tap, past the double-tap window): another 24 h.
    await asyncio.sleep(WINDOW_SECONDS + 0.1)
    tap = await lena.tap("+24h", message=screen)
    assert tap.toast is not None and tap.toast.text == told, tap.toast
    assert (await groupbuy.get(shop.db, view.id)).deadline == before + timedelta(hours=48)
    assert await _notices(shop, alice.id) == 2, "Alice was told of each extension once"
    await refresher(shop.app.ctx).idle()


# ---------------------------------------------------------------------------------------------- 5


@pytest.mark.parametrize(
    ("lang", "alice_line", "bob_line"),
    [
        ("en", "• Alice: 1 · pickup · pay at pickup", "• Bob: 1 · pickup · pay by card"),
        ("zh-hans", "• Alice：1 份 · 自提 · 到店付款", "• Bob：1 份 · 自提 · 银行卡支付"),
    ],
)
async def test_the_leaders_participants_show_how_each_pays_before_the_buy_closes(
    shop: Stack, lang: str, alice_line: str, bob_line: str
) -> None:
    alice, _, lena, _, view, _ = await _two_joined(shop, "GB-HOWPAY", leader_lang=lang)
    await alice.tap("Pickup, pay there", message=await _panel(alice, view.id))

    text = text_of(await _buy_screen(shop, lena, view.id))
    assert alice_line in text and bob_line in text, text
    await refresher(shop.app.ctx).idle()


# ---------------------------------------------------------------------------------------------- 6


@pytest.mark.parametrize(
    ("lang", "running"),
    [
        ("en", "A group buy is already running here: «Oolong tea»"),
        ("zh-hans", "本群已有进行中的拼团：「乌龙茶」"),
    ],
)
async def test_groupbuy_from_a_non_leader_while_one_runs_points_at_its_card(
    shop: Stack, lang: str, running: str
) -> None:
    eve = await started(shop, "Eve", lang=lang)
    _, _, _, group, _, card = await _two_joined(shop, "GB-HINT")
    await group.add(eve)
    await eve.send("/groupbuy", chat=group)
    hint = (await bot_messages(shop, group))[-1]
    assert running in text_of(hint), text_of(hint)
    assert (hint.raw.get("reply_to_message") or {}).get("message_id") == card.message_id, "a reply to the card"
    await refresher(shop.app.ctx).idle()


@pytest.mark.parametrize(("lang", "how"), [("en", "/leader_grant {id}"), ("zh-hans", "/leader_grant {id}")])
async def test_groupbuy_from_a_non_leader_says_how_to_become_one(shop: Stack, lang: str, how: str) -> None:
    eve = await started(shop, "Eve", lang=lang)
    group = await shop.client.group("Street", members=[eve], bot_admin=True)
    await eve.send("/groupbuy", chat=group)
    hint = text_of((await bot_messages(shop, group))[-1])
    assert how.format(id=eve.id) in hint, hint
    assert ("leader" in hint) if lang == "en" else ("团长" in hint), hint


@pytest.mark.parametrize(
    ("lang", "note"),
    [("en", "Already running in this group: #{id} «Oolong tea»"), ("zh-hans", "本群已有进行中的拼团：#{id}「乌龙茶」")],
)
async def test_a_second_groupbuy_from_the_leader_says_one_is_running(shop: Stack, lang: str, note: str) -> None:
    await shop.client.set_flood_limits(False)
    product = await make_product(shop.db, stock=20, price=5000, sku="GB-SECOND")
    lena = await started(shop, "Lena", lang=lang)
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group("Street", members=[lena], bot_admin=True)
    view = await publish(shop.db, product, leader_id=lena.id, chat_id=group.id, tiers=(groupbuy.Tier(2, 4000),))
    await posted(shop, group, view)
    before = len(await bot_messages(shop, group))
    await lena.send("/groupbuy", chat=group)
    prompt = text_of(await lena.last_message())
    assert note.format(id=view.id) in prompt and "/leader" in prompt, prompt
    replies = await bot_messages(shop, group)
    assert len(replies) == before + 1, "the group sees the command answered (where the set-up went on), no more"
    assert "/leader" not in text_of(replies[-1]), "which buys run here is told in private chat"
    await refresher(shop.app.ctx).idle()
