"""An outside tester's group-buy findings, end to end against the emulator: the wizard refuses a promise above
the stock and shows tiers from the minimum, a sold-out card, digital products, the leader told the result with
a desk without stale buttons, and a Leave from the group withdrawing the private card."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import update

from bot.callbacks.groupbuy import GroupBuyCB
from bot.emulator.client import UserHandle
from bot.groupbuy_cards import post_card, refresher
from bot.sandbox import Stack
from store import groupbuy, users
from store.models import Product
from tests.groupbuy.helpers import make_product, publish, stock_of
from tests.groupbuy.test_groupbuy_e2e import _has, bot_messages, fire_deadline, labels, started


async def _text(user: UserHandle) -> str:
    message = await user.last_message()
    return (message.text or "") if message is not None else ""


async def _last_has(user: UserHandle, text: str) -> bool:
    return text in await _text(user)


async def test_wizard_refuses_more_units_than_stock_and_tiers_start_at_the_minimum(shop: Stack) -> None:
    await make_product(shop.db, stock=5, price=1500, sku="GB-FIVE")
    lena = await started(shop, "Lena")
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group("Yard", members=[lena], bot_admin=True)
    await lena.send("/groupbuy", chat=group)
    await lena.send("GB-FIVE")
    await lena.send("12")  # one group price: a tier from 1 person
    await lena.send("2 4 2")  # at least 2, at most 4, 2 each
    assert "4 people × up to 2 each could need 8 units, but only 5 are in stock" in await _text(lena)
    await lena.send("2 4 1")
    await lena.send("24h")
    await lena.tap("No pickup point")
    summary = await _text(lena)
    assert "at least 2, at most 4" in summary and "Per person: up to 1" in summary
    assert "2+ people: ¥12.00" in summary and "1+ people" not in summary


async def test_a_sold_out_card_stops_inviting(shop: Stack) -> None:
    product_id = await make_product(shop.db, stock=3, price=5000, sku="GB-FEW")
    lena, alice, bob, carol = [await started(shop, name) for name in ("Lena", "Alice", "Bob", "Carol")]
    group = await shop.client.group("Few", members=[lena, alice, bob, carol], bot_admin=True)
    view = await publish(
        shop.db, product_id, leader_id=lena.id, chat_id=group.id, maximum=None, per_person=2,
        tiers=(groupbuy.Tier(3, 4000),),
    )  # fmt: skip
    await post_card(shop.app.ctx, view)
    card = (await bot_messages(shop, group))[-1]
    await alice.tap("Join", message=card, chat=group)
    await alice.tap("➕")
    await bob.tap("Join", message=card, chat=group)
    assert await stock_of(shop.db, product_id) == 0

    await shop.client.wait_for(lambda: _has(shop, group, card.message_id, "Sold out"), timeout=10)
    drawn = next(m for m in await bot_messages(shop, group) if m.message_id == card.message_id)
    assert "more for" not in (drawn.text or "")
    assert labels(drawn) == ["Leave", "📤 Share"], "no Join that could only be refused"
    # A Join button drawn earlier is answered at once.
    join = GroupBuyCB(a="j", g=view.id).pack()
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="old join", callback_data=join)]])
    await shop.app.bot.send_message(carol.id, "old", reply_markup=markup)
    tap = await carol.tap("old join")
    assert tap.toast is not None and "sold out" in (tap.toast.text or "")
    assert (await groupbuy.get(shop.db, view.id)).joined == 2
    await refresher(shop.app.ctx).idle()


async def test_digital_buy_needs_no_delivery_and_the_desk_says_digital(shop: Stack) -> None:
    product_id = await make_product(shop.db, stock=10, price=3000, sku="GB-VIP")
    lena, alice = await started(shop, "Lena"), await started(shop, "Alice")
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group("Members", members=[lena, alice], bot_admin=True)
    view = await publish(
        shop.db, product_id, leader_id=lena.id, chat_id=group.id, pickup=None, tiers=(groupbuy.Tier(2, 2500),)
    )
    # A new group buy of a digital product is refused (Stars only); one opened before its product became
    # digital still runs, and hands it over in the chat.
    async with shop.db.tx() as session:
        await session.execute(update(Product).where(Product.id == product_id).values(is_digital=True))
    await post_card(shop.app.ctx, view)
    card = (await bot_messages(shop, group))[-1]
    await alice.tap("Join", message=card, chat=group)
    panel = await alice.last_message()
    assert panel is not None and "delivered here in the chat after payment" in (panel.text or "")
    assert not any("Delivery" in label or "Pickup" in label for label in labels(panel))

    await lena.send("/leader")
    await lena.tap(f"#{view.id}")
    assert "Alice: 1 · digital" in await _text(lena)
    await refresher(shop.app.ctx).idle()


async def test_the_leader_is_told_the_result_and_close_now_leaves_nothing_to_manage(shop: Stack) -> None:
    first = await make_product(shop.db, stock=20, price=5000, sku="GB-ONE")
    second = await make_product(shop.db, stock=20, sku="GB-TWO")
    lena = await started(shop, "Lena")
    li = await started(shop, "李雷", lang="zh-hans")
    alice, bob = await started(shop, "Alice"), await started(shop, "Bob")
    for leader in (lena, li):
        await users.grant_role(shop.db, leader.id, "leader")
    group = await shop.client.group("Street", members=[lena, li, alice, bob], bot_admin=True)
    won = await publish(shop.db, first, leader_id=lena.id, chat_id=group.id, tiers=(groupbuy.Tier(2, 4000),))
    await post_card(shop.app.ctx, won)
    card = (await bot_messages(shop, group))[-1]
    for person in (alice, bob):
        await person.tap("Join", message=card, chat=group)

    await lena.send("/leader")
    await lena.tap(f"#{won.id}")
    detail = await lena.last_message()
    assert detail is not None and any("Close now" in label for label in labels(detail))
    await lena.tap("Close now", message=detail)  # asks first (D12)
    tap = await lena.tap("Yes, close now", message=detail)
    assert tap.toast is not None and "Closed" in (tap.toast.text or "")
    left = labels(next(m for m in await lena.messages() if m.message_id == detail.message_id))
    assert not any(word in label for label in left for word in ("+24h", "Max", "Close now", "Cancel")), left
    told = await shop.client.wait_for(lambda: _last_has(lena, "succeeded: 2 people, 2 units"), timeout=10)
    assert told
    assert "commission: ¥4.00 (5%)" in await _text(lena)

    lost = await publish(shop.db, second, leader_id=li.id, chat_id=group.id, minimum=3)
    await post_card(shop.app.ctx, lost)
    await alice.tap("Join", message=(await bot_messages(shop, group))[-1], chat=group)
    await fire_deadline(shop, lost.id)
    assert await shop.client.wait_for(lambda: _last_has(li, "未达到 3 人"), timeout=10)
    await refresher(shop.app.ctx).idle()


async def test_leaving_from_the_group_withdraws_the_private_card(shop: Stack) -> None:
    product_id = await make_product(shop.db, stock=10, sku="GB-LEAVE")
    lena, alice = await started(shop, "Lena"), await started(shop, "Alice")
    group = await shop.client.group("Block", members=[lena, alice], bot_admin=True)
    view = await publish(shop.db, product_id, leader_id=lena.id, chat_id=group.id)
    await post_card(shop.app.ctx, view)
    card = (await bot_messages(shop, group))[-1]
    await alice.tap("Join", message=card, chat=group)
    panel = await alice.last_message()
    assert panel is not None and "You are in: 1" in (panel.text or "")

    tap = await alice.tap("Leave", message=card, chat=group)
    assert tap.toast is not None and "released" in (tap.toast.text or "")
    redrawn = next(m for m in await alice.messages() if m.message_id == panel.message_id)
    assert "You are in" not in (redrawn.text or "")
    assert labels(redrawn) == ["🙋 Join"], "no quantity, delivery or leave buttons for someone who left"
    await refresher(shop.app.ctx).idle()
