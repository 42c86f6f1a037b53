"""The leader's screen of a published buy (/leader → the buy), end to end against the emulator: a double tap on
a maximum tells the participants once, and the maximum it already has is a calm toast; only maxima the stock
allows are offered, "No maximum" only when the stock does not cap the group; a refused "Close now" leaves no
stale question."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.callbacks.groupbuy import LeaderCB
from bot.emulator.client import MessageView, UserHandle
from bot.groupbuy_cards import post_card, refresher
from bot.sandbox import Stack
from store import groupbuy, users
from store.models import OutboxMessage
from tests.groupbuy.helpers import make_product, publish
from tests.groupbuy.test_groupbuy_e2e import fire_deadline, labels, started
from tests.groupbuy.test_groupbuy_tester_d12_d15_e2e import current, leader_and_group, posted, text_of


async def _notices(shop: Stack, user_id: int) -> int:
    async with shop.db.read() as session:
        query = select(func.count()).where(
            OutboxMessage.chat_id == user_id, OutboxMessage.template == "groupbuy.changed"
        )
        return int((await session.execute(query)).scalar_one())


async def _buy_screen(shop: Stack, lena: UserHandle, group_buy_id: int) -> MessageView:
    await lena.send("/leader")
    await lena.tap(f"#{group_buy_id}")
    screen = await lena.last_message()
    assert screen is not None
    return screen


async def _edits_of(shop: Stack, chat_id: int) -> int:
    calls = await shop.client.calls("editMessageText")
    return sum(1 for c in calls if str(c["params"].get("chat_id")) == str(chat_id))


async def _one_joined(
    shop: Stack,
    *,
    stock: int,
    sku: str,
    per_person: int,
    tiers: tuple[groupbuy.Tier, ...] = (groupbuy.Tier(3, 4000),),
) -> tuple[UserHandle, UserHandle, groupbuy.GroupBuyView, MessageView]:
    """Alice joined a buy of Lena's (3 people for ¥40.00): Alice, Lena, the buy and Lena's screen of it."""
    await shop.client.set_flood_limits(False)
    product = await make_product(shop.db, stock=stock, price=5000, sku=sku)
    alice = await started(shop, "Alice")
    lena, group = await leader_and_group(shop, alice)
    view = await publish(shop.db, product, leader_id=lena.id, chat_id=group.id, per_person=per_person, tiers=tiers)
    card = await posted(shop, group, view)
    await alice.tap("Join", message=card, chat=group)
    return alice, lena, view, await _buy_screen(shop, lena, view.id)


async def test_a_double_tap_on_a_maximum_tells_the_participants_once(shop: Stack) -> None:
    alice, lena, view, screen = await _one_joined(shop, stock=40, sku="GB-MAX", per_person=1)
    assert "👥 Max 8" in labels(screen)

    await asyncio.gather(lena.tap("Max 8", message=screen), lena.tap("Max 8", message=screen))
    await shop.client.settle()
    assert (await groupbuy.get(shop.db, view.id)).max_participants == 8
    assert await _notices(shop, alice.id) == 1, "one change, one notice"

    async def told() -> list[str]:
        return [text_of(m) for m in await alice.messages() if m.from_bot and "at most 8 people" in text_of(m)]

    assert len(await shop.client.wait_for(told, timeout=10)) == 1

    # Later (past the double-tap window) the value it already has: a toast, nothing written, nothing redrawn.
    await asyncio.sleep(1.1)
    edits = await _edits_of(shop, lena.private_chat_id)
    await lena.tap_data(LeaderCB(a="max", g=view.id, v=8).pack(), message=screen)
    toast = (await lena.toasts())[-1]
    assert (toast.text, toast.show_alert) == ("Maximum is already 8.", False)
    await shop.client.settle()
    assert await _notices(shop, alice.id) == 1
    assert await _edits_of(shop, lena.private_chat_id) == edits, "no edit of a screen that shows this already"
    assert "up to 8 people" in text_of(await current(shop, lena, screen.message_id))
    await refresher(shop.app.ctx).idle()


async def test_only_maxima_the_stock_allows_are_offered_and_no_maximum_only_when_it_does_not_limit(
    shop: Stack,
) -> None:
    """10 units, up to 2 each: the stock serves 5 people. The screen used to offer "Max 7" (refused: not enough
    stock) and "No maximum" (accepted, promising places the stock cannot fill)."""
    _, lena, view, screen = await _one_joined(shop, stock=10, sku="GB-TIGHT", per_person=2)
    offered = [label for label in labels(screen) if "Max" in label or "maximum" in label]
    assert offered == ["👥 Max 5"], offered

    tap = await lena.tap("Max 5", message=screen)
    assert tap.toast is not None and "Saved" in (tap.toast.text or "") and not tap.toast.show_alert
    assert (await groupbuy.get(shop.db, view.id)).max_participants == 5
    offered = [label for label in labels(await current(shop, lena, screen.message_id)) if "Max" in label]
    assert offered == ["👥 Max 3"], "a step down to the tier's 3 people; nothing above the stock, no 'No maximum'"

    # A forged (or older) "No maximum" button is refused with the reason.
    await lena.tap_data(LeaderCB(a="max", g=view.id, v=0).pack(), message=screen)
    toast = (await lena.toasts())[-1]
    assert toast.text == "The stock (10 units) caps this group buy at 5 people: it needs a maximum.", toast
    assert (await groupbuy.get(shop.db, view.id)).max_participants == 5
    await refresher(shop.app.ctx).idle()


async def test_plenty_of_stock_offers_steps_both_ways_and_no_maximum_in_chinese(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    product = await make_product(shop.db, stock=100, sku="GB-PLENTY")
    lena = await started(shop, "Lena", lang="zh-hans")
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group("Street", members=[lena], bot_admin=True)
    view = await publish(shop.db, product, leader_id=lena.id, chat_id=group.id, maximum=10, per_person=2)
    await post_card(shop.app.ctx, view)
    screen = await _buy_screen(shop, lena, view.id)
    offered = [label for label in labels(screen) if "上限" in label or "不限" in label]
    assert offered == ["👥 上限 5", "👥 上限 15", "不限人数"], offered
    await lena.tap("不限人数", message=screen)
    assert (await groupbuy.get(shop.db, view.id)).max_participants is None
    await asyncio.sleep(1.1)  # past the double-tap window
    await lena.tap_data(LeaderCB(a="max", g=view.id, v=0).pack(), message=screen)
    toast = (await lena.toasts())[-1]
    assert (toast.text, toast.show_alert) == ("已经是不限人数。", False)
    await refresher(shop.app.ctx).idle()


async def test_a_refused_close_now_replaces_the_question_with_the_buy_and_the_reason(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    product = await make_product(shop.db, stock=20, price=5000, sku="GB-CLOSE")
    alice, bob = await started(shop, "Alice"), await started(shop, "Bob")
    lena, group = await leader_and_group(shop, alice, bob)
    view = await publish(shop.db, product, leader_id=lena.id, chat_id=group.id, tiers=(groupbuy.Tier(2, 4000),))
    card = await posted(shop, group, view)
    for person in (alice, bob):
        await person.tap("Join", message=card, chat=group)
    screen = await _buy_screen(shop, lena, view.id)

    # Asked, then Bob leaves before the Yes: below the minimum.
    await lena.tap("Close now", message=screen)
    assert "✅ Yes, close now" in labels(await current(shop, lena, screen.message_id))
    await bob.tap("Leave", message=card, chat=group)
    tap = await lena.tap("Yes, close now", message=screen)
    reason = "The minimum is not reached yet (1 of 2): it can close early once it is."
    assert tap.toast is not None and tap.toast.text == reason and tap.toast.show_alert
    after = await current(shop, lena, screen.message_id)
    assert "Yes, close now" not in labels(after), "the question is gone"
    assert reason in text_of(after) and "1 person" in text_of(after), text_of(after)
    assert not any("Close now" in label for label in labels(after)), "not offered below the minimum"
    assert "⬅️ Back" in labels(after)

    # Asked again once the minimum is back, and the deadline closes it before the Yes.
    await bob.tap("Join", message=card, chat=group)
    await lena.tap("Back", message=screen)
    await lena.tap(f"#{view.id}", message=screen)
    await lena.tap("Close now", message=screen)
    await fire_deadline(shop, view.id)
    tap = await lena.tap("Yes, close now", message=screen)
    assert tap.toast is not None and tap.toast.text == "This group buy has already ended." and tap.toast.show_alert
    after = await current(shop, lena, screen.message_id)
    assert "Yes, close now" not in labels(after)
    assert "This group buy has already ended." in text_of(after) and "· succeeded ·" in text_of(after)
    await refresher(shop.app.ctx).idle()


async def test_no_maximum_below_the_people_the_best_tier_needs(shop: Stack) -> None:
    """Outside check: with tiers at 3 and 10 people and no maximum, the screen offered "Max 8", and saving it left
    the card advertising a 10-person price nobody could reach (the set-up wizard refuses the same)."""
    tiers = (groupbuy.Tier(3, 4500), groupbuy.Tier(10, 4000))
    _, lena, view, screen = await _one_joined(shop, stock=40, sku="GB-TOP", per_person=1, tiers=tiers)
    offered = [label for label in labels(screen) if "Max" in label]
    assert offered and all(int(label.split()[-1]) >= 10 for label in offered), offered

    await lena.tap_data(LeaderCB(a="max", g=view.id, v=8).pack(), message=screen)
    toast = (await lena.toasts())[-1]
    assert toast.text == "A tier needs 10 people but at most 8 can join.", toast
    assert (await groupbuy.get(shop.db, view.id)).max_participants is None
    await refresher(shop.app.ctx).idle()
