"""Group buys end to end: the real bot against the emulator (wizard, card, joins, deadline, payment, the
leader's desk, failure, leaving, refusals and Chinese)."""

from __future__ import annotations

import csv
import io
import time
from urllib.parse import unquote

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import select

from bot.callbacks.groupbuy import LeaderCB
from bot.emulator.client import ChatHandle, MessageView, UserHandle
from bot.groupbuy_cards import post_card, refresher
from bot.sandbox import Stack
from store import groupbuy, users
from store.models import ScheduledJob
from tests.conftest import ADMIN_ID
from tests.groupbuy.conftest import CARD_GAP
from tests.groupbuy.helpers import make_product, publish, stock_of


async def started(shop: Stack, name: str, lang: str = "en") -> UserHandle:
    user = await shop.client.user(name, lang=lang)
    await user.send("/start")
    return user


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [button.text for row in message.buttons for button in row]


async def bot_messages(shop: Stack, chat: ChatHandle) -> list[MessageView]:
    return [m for m in await shop.client.messages(chat.id) if m.from_bot]


async def fire_deadline(shop: Stack, group_buy_id: int) -> None:
    async with shop.db.read() as session:
        job_id = (
            await session.execute(
                select(ScheduledJob.id).where(ScheduledJob.key == f"groupbuy_deadline:{group_buy_id}")
            )
        ).scalar_one()
    scheduler = shop.app.scheduler
    assert scheduler is not None
    assert await scheduler.fire(job_id)


async def card_text(shop: Stack, chat: ChatHandle, message_id: int) -> str:
    card = next(m for m in await bot_messages(shop, chat) if m.message_id == message_id)
    return card.text or card.caption or ""


async def test_leader_runs_a_group_buy_from_wizard_to_commission(shop: Stack) -> None:
    product_id = await make_product(shop.db, stock=40, price=10000, sku="GB-TEA")
    lena = await started(shop, "Lena")
    await users.grant_role(shop.db, lena.id, "leader")
    alice, bob, carol = [await started(shop, name) for name in ("Alice", "Bob", "Carol")]
    dave = await shop.client.user("Dave")  # never opened a private chat with the bot
    group = await shop.client.group("Neighbours", members=[lena, alice, bob, carol, dave], bot_admin=True)
    before = len(await bot_messages(shop, group))

    # The wizard runs in private chat; the group sees the command answered, with the way there, then the card.
    await lena.send("/groupbuy", chat=group)
    replies = await bot_messages(shop, group)
    assert len(replies) == before + 1
    assert "opened the group-buy set-up in our private chat" in (replies[-1].text or "")
    picker = await lena.last_message()
    assert picker is not None and "Which product" in (picker.text or "")
    assert any("Oolong tea" in label for label in labels(picker))
    await lena.send("NOPE-1")
    assert "No product matches that name or SKU" in ((await lena.last_message()) or picker).text  # type: ignore[operator]
    await lena.send("gb-tea")
    await lena.send("3+ 150%")
    assert "less than 100%" in ((await lena.last_message()) or picker).text  # type: ignore[operator]
    await lena.send("3+ 10%, 5+ 20%")
    await lena.send("2 100 3")  # minimum, maximum, per person typed at once
    assert "Only 40 in stock" in ((await lena.last_message()) or picker).text  # type: ignore[operator]
    await lena.send("2 10 3")
    await lena.send("yesterday")
    assert "could not read that time" in ((await lena.last_message()) or picker).text  # type: ignore[operator]
    await lena.send("24h")
    await lena.tap("Central Store")
    summary = await lena.last_message()
    assert summary is not None and "at least 2, at most 10" in (summary.text or "")
    await lena.tap("Publish")
    assert "is live in the group" in ((await lena.last_message()) or summary).text  # type: ignore[operator]

    card = (await bot_messages(shop, group))[-1]
    assert "Group buy: Oolong tea" in (card.text or "")
    counter = "0 joined · 2 needed · up to 10 people"
    assert f"{counter}, 23h 59m left" in (card.text or "") or f"{counter}, 1d 0h left" in (card.text or "")
    assert labels(card) == ["🙋 Join", "Leave", "📤 Share"]
    # Share opens Telegram's share dialog with the buy's link (which opens the buy in a friend's private chat).
    share = card.button("Share").url or ""
    assert share.startswith("https://t.me/share/url?url=")
    link, text = unquote(share).split("url=", 1)[1].split("&text=", 1)
    gb_id = int(link.rsplit("?start=g_", 1)[1])
    assert link == f"https://t.me/{shop.app.ctx.bot_username}?start=g_{gb_id}" and "Oolong tea" in text
    assert card.pinned

    # Three taps: toasts in the group, details in private chat, the card edited in place.
    started_at = time.monotonic()
    for person in (alice, bob, carol):
        tap = await person.tap("Join", message=card, chat=group)
        assert tap.toast is not None and "You joined" in (tap.toast.text or "")
        panel = await person.last_message()
        assert panel is not None and "You are in: 1" in (panel.text or "")
    again = await alice.tap("Join", message=card, chat=group)
    assert again.toast is not None and "already joined" in (again.toast.text or "")
    await shop.client.wait_for(
        lambda: _has(shop, group, card.message_id, "3 joined · goal of 2 reached · up to 10"), timeout=10
    )
    after = next(m for m in await bot_messages(shop, group) if m.message_id == card.message_id)
    assert after.edited
    assert len(await bot_messages(shop, group)) == before + 2, "the card is edited, never re-posted"
    # Three joins within the pacing gap coalesce: fewer edits than joins, spaced by the gap.
    edits = [c for c in await shop.client.calls("editMessageText") if str(c["params"].get("chat_id")) == str(group.id)]
    assert 1 <= len(edits) <= 3
    assert time.monotonic() - started_at >= CARD_GAP * (len(edits) - 1)

    # Someone new to the bot: the toast opens the private chat on this group buy.
    tap = await dave.tap("Join", message=card, chat=group)
    assert tap.toast is not None and "Open the chat with me" in (tap.toast.text or "")
    assert (tap.toast.url or tap.url or "").endswith(f"start=g_{gb_id}")
    await dave.open_deeplink(f"g_{gb_id}")
    assert "You are in: 1" in ((await dave.last_message()) or card).text  # type: ignore[operator]

    # In private chat: quantity.
    await alice.tap("➕")
    assert "You are in: 2" in ((await alice.last_message()) or card).text  # type: ignore[operator]
    assert await stock_of(shop.db, product_id) == 40 - 5

    # The deadline: 4 joined reaches the 3+ tier (−10%): everyone is offered 90.00 per unit.
    await fire_deadline(shop, gb_id)
    await shop.client.wait_for(lambda: _last_has(alice, "succeeded"), timeout=10)
    notice = await alice.last_message()
    assert notice is not None and "2 × ¥90.00" in (notice.text or "") and "= ¥180.00" in (notice.text or "")
    bob_notice = await shop.client.wait_for(lambda: _last_has(bob, "1 × ¥90.00"), timeout=10)
    assert bob_notice
    await alice.tap("Pay")
    invoice = await alice.last_message()
    assert invoice is not None and invoice.invoice is not None
    assert invoice.invoice["total_amount"] == 18000 and invoice.invoice["currency"] == "CNY"
    paid = await alice.pay()
    assert paid.get("status") == "paid"
    await shop.client.wait_for(lambda: _has(shop, group, card.message_id, "Success"), timeout=10)
    assert await groupbuy.commission_balance(shop.db, lena.id) == 900  # 5% of ¥180.00

    # The leader's desk: commission and the pickup list.
    await lena.send("/leader")
    desk = await lena.last_message()
    assert desk is not None and "Commission earned: <b>" not in (desk.text or "")
    assert "Commission earned: ¥9.00" in (desk.text or "")
    await lena.tap(f"#{gb_id}")
    detail = await lena.last_message()
    assert detail is not None and "Alice: 2" in (detail.text or "") and "paid" in (detail.text or "")
    await lena.tap("Pickup list")
    document = await lena.last_message()
    assert document is not None and document.document is not None
    rows = list(csv.DictReader(io.StringIO(document.document.data.decode("utf-8-sig"))))
    assert sorted(row["name"] for row in rows) == ["Alice", "Bob", "Carol", "Dave"]
    alice_row = next(row for row in rows if row["name"] == "Alice")
    assert alice_row["quantity"] == "2" and alice_row["order_status"] == "paid" and alice_row["amount"] == "¥180.00"


async def _has(shop: Stack, chat: ChatHandle, message_id: int, text: str) -> bool:
    return text in await card_text(shop, chat, message_id)


async def _last_has(user: UserHandle, text: str) -> bool:
    message = await user.last_message()
    return message is not None and text in (message.text or "")


async def test_failure_leave_refusals_and_chinese(shop: Stack) -> None:
    product_id = await make_product(shop.db, stock=20, price=5000, sku="GB-RICE")
    lena = await started(shop, "Lena")
    mia = await started(shop, "Mia")
    for leader in (lena, mia):
        await users.grant_role(shop.db, leader.id, "leader")
    li = await started(shop, "李雷", lang="zh-hans")
    bob = await started(shop, "Bob")
    eve = await started(shop, "Eve")
    group = await shop.client.group("Street", members=[lena, mia, li, bob, eve], bot_admin=True)
    view = await publish(
        shop.db,
        product_id,
        leader_id=lena.id,
        chat_id=group.id,
        minimum=3,
        maximum=None,
        tiers=(groupbuy.Tier(3, 4500),),
    )
    await post_card(shop.app.ctx, view)
    card = (await bot_messages(shop, group))[-1]

    # A Chinese participant sees Chinese.
    # The card speaks the leader's language; the toast and the private panel speak the tapper's.
    tap = await li.tap("Join", message=card, chat=group)
    assert tap.toast is not None and "参团成功" in (tap.toast.text or "")
    assert "您已参团" in ((await li.last_message()) or card).text  # type: ignore[operator]

    # Leave before the deadline releases the reservation.
    await bob.tap("Join", message=card, chat=group)
    assert await stock_of(shop.db, product_id) == 18
    tap = await bob.tap("Leave", message=card, chat=group)
    assert tap.toast is not None and "reservation was released" in (tap.toast.text or "")
    assert await stock_of(shop.db, product_id) == 19

    # A non-leader cannot start one; a forged button naming another leader's buy is refused.
    await eve.send("/groupbuy", chat=group)
    assert "Only group-buy leaders" in ((await bot_messages(shop, group))[-1].text or "")
    forged = LeaderCB(a="cancel_yes", g=view.id).pack()
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="forged", callback_data=forged)]])
    await shop.app.bot.send_message(mia.id, "forged", reply_markup=markup)
    tap = await mia.tap("forged")
    assert tap.toast is not None and "another leader" in (tap.toast.text or "")
    await shop.app.bot.send_message(eve.id, "forged", reply_markup=markup)
    tap = await eve.tap("forged")
    assert tap.toast is not None and "not allowed" in (tap.toast.text or "")
    assert (await groupbuy.get(shop.db, view.id)).status == "open"

    # The deadline with too few people: everything released, everybody told, the card says so.
    await fire_deadline(shop, view.id)
    assert await stock_of(shop.db, product_id) == 20
    await shop.client.wait_for(lambda: _last_has(li, "未达到 3 人"), timeout=10)
    await shop.client.wait_for(lambda: _has(shop, group, card.message_id, "Not enough people"), timeout=10)
    final = next(m for m in await bot_messages(shop, group) if m.message_id == card.message_id)
    assert final.buttons == [], "a closed card has no buttons left"
    assert (await groupbuy.join(shop.db, view.id, bob.id)).status == "closed"
    await refresher(shop.app.ctx).idle()


async def test_leader_without_private_chat_gets_a_short_hint_and_cancel_releases(shop: Stack) -> None:
    product_id = await make_product(shop.db, stock=10, price=5000, sku="GB-OIL")
    zoe = await shop.client.user("Zoe")  # a leader who never opened the bot
    await users.grant_role(shop.db, zoe.id, "leader")
    ann = await started(shop, "Ann")
    group = await shop.client.group("Block 9", members=[zoe, ann], bot_admin=True)
    await zoe.send("/groupbuy", chat=group)
    hint = (await bot_messages(shop, group))[-1]
    assert "the group-buy wizard starts there" in (hint.text or "")
    link = hint.buttons[0][0].url or ""
    assert link.endswith("?start=gw_go")
    await zoe.open_deeplink("gw_go")
    assert "Which product" in ((await zoe.last_message()) or hint).text  # type: ignore[operator]

    view = await publish(
        shop.db, product_id, leader_id=zoe.id, chat_id=group.id, minimum=2, tiers=(groupbuy.Tier(2, 4500),)
    )
    await post_card(shop.app.ctx, view)
    card = (await bot_messages(shop, group))[-1]
    await ann.tap("Join", message=card, chat=group)
    assert await stock_of(shop.db, product_id) == 9
    await zoe.send("/leader")
    await zoe.tap(f"#{view.id}")
    await zoe.tap("Cancel group buy")
    await zoe.tap("Yes, cancel it")
    assert (await groupbuy.get(shop.db, view.id)).status == "cancelled"
    assert await stock_of(shop.db, product_id) == 10
    await shop.client.wait_for(lambda: _last_has(ann, "was cancelled"), timeout=10)
    await shop.client.wait_for(lambda: _has(shop, group, card.message_id, "Cancelled by the organiser"), timeout=10)


async def test_admin_grants_the_leader_role_in_chat(shop: Stack) -> None:
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    kim = await started(shop, "Kim")
    group = await shop.client.group("Lane", members=[kim], bot_admin=True)
    await kim.send("/leader_grant 5", chat=group)  # not in a group, and not by a non-admin
    await kim.send(f"/leader_grant {kim.id}")
    assert "not allowed" in ((await kim.last_message()) or group).text  # type: ignore[union-attr, operator]
    await ada.send(f"/leader_grant {kim.id}")
    assert f"User {kim.id} is now a leader" in ((await ada.last_message()) or group).text  # type: ignore[union-attr, operator]
    assert "leader" in await users.roles_of(shop.db, kim.id)
    await ada.send("/admin")
    await ada.tap("Leaders & group buys")
    assert "Leaders: Kim" in ((await ada.last_message()) or group).text  # type: ignore[union-attr, operator]


async def test_card_is_not_pinned_where_the_bot_may_not_pin(shop: Stack) -> None:
    """A group where the bot is a plain member: the card is posted, no pin is attempted (Telegram would answer
    400 "not enough rights", which the strict fixture counts as a failure), and joining works as anywhere."""
    product_id = await make_product(shop.db, stock=10, price=5000, sku="GB-RICE")
    lena = await started(shop, "Lena")
    await users.grant_role(shop.db, lena.id, "leader")
    ann = await started(shop, "Ann")
    group = await shop.client.group("No rights", members=[lena, ann], bot_admin=False)
    assert not await users.may_pin(shop.db, group.id)
    view = await publish(
        shop.db, product_id, leader_id=lena.id, chat_id=group.id, minimum=2, tiers=(groupbuy.Tier(2, 4500),)
    )
    await post_card(shop.app.ctx, view)
    card = (await bot_messages(shop, group))[-1]
    assert not card.pinned
    assert await shop.client.calls("pinChatMessage") == []
    await ann.tap("Join", message=card, chat=group)
    assert await stock_of(shop.db, product_id) == 9
