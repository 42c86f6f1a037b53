"""Issue 14, the admin's flash sales from chat by taps: the set-up (product found by name, price from a discount
button, units, limit, start, duration, audience: all groups or picked ones and whether subscribers are told),
the list of scheduled and live sales as buttons, a sale's screen with Edit (before its start, reusing the
set-up's steps) and Cancel (confirmed). English and Chinese."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.emulator.client import MessageView, UserHandle
from store import flashsale, users
from store.db import Database
from store.models import OutboxMessage, utcnow
from tests.conftest import ADMIN_ID
from tests.flashsale.helpers import make_product, product_stock, scheduled_sale


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [b.text for row in message.buttons for b in row]


def text_of(message: MessageView | None) -> str:
    assert message is not None
    return message.text or ""


async def _groups_known(db: Database, count: int) -> bool:
    return len(await users.active_groups(db)) >= count


async def _announced_to(db: Database, sale_id: int) -> set[int]:
    async with db.read() as session:
        rows = await session.execute(
            select(OutboxMessage.chat_id).where(OutboxMessage.dedupe_key.like(f"flash:{sale_id}:%"))
        )
        return {int(c) for c in rows.scalars()}


async def _bot_cards(person: UserHandle, chat: Any) -> list[MessageView]:
    return [m for m in await person.messages(chat) if m.from_bot and "Flash sale" in (m.text or "")]


async def test_admin_creates_a_flash_sale_starting_now_by_taps(shop: Any) -> None:
    product_id = await make_product(shop.db, "RICE-1", price=9900, stock=40)  # "Product RICE-1", ¥99.00
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    alice = await shop.client.user("Alice")
    group = await shop.client.group("Neighbours", members=[alice], bot_admin=True)
    for person in (ada, alice):
        await person.send("/start")

    await ada.send("/admin")
    await ada.tap("New flash sale")
    await ada.send("rice")  # found by name
    price = await ada.last_message()
    assert "sells at ¥99.00" in text_of(price)
    assert "−20% · ¥79.20" in labels(price)
    for label in ("−20% · ¥79.20", "10", "1", "Now", "1 h"):
        await ada.tap(label)
    audience = await ada.last_message()
    assert "Who hears about it?" in text_of(audience)
    assert "every group the bot is in; subscribers get a private notice" in text_of(audience)
    await ada.tap("Next")  # the default: every group and the subscribers
    summary = await ada.last_message()
    assert summary is not None and summary.message_id == price.message_id
    assert "¥79.20" in text_of(summary) and "Starts: now" in text_of(summary) and "UTC+8" in text_of(summary)
    assert "Audience: every group the bot is in; subscribers get a private notice" in text_of(summary)
    await ada.tap("Create flash sale")
    assert "scheduled" in text_of(await ada.last_message())
    (sale,) = await flashsale.list_sales(shop.db)
    assert (sale.price, sale.stock, sale.per_user_limit) == (7920, 10, 1)
    assert (sale.groups, sale.subscribers) == (None, True)
    assert await product_stock(shop.db, product_id) == 30

    async def card() -> MessageView | None:
        found = [m for m in await group.messages() if m.from_bot and "Flash sale" in (m.text or "")]
        return found[-1] if found else None

    posted = await shop.client.wait_for(card, timeout=10)
    assert "¥79.20" in text_of(posted)
    won = await alice.tap(message=posted, chat=group)
    assert won.toast is not None and "You got one" in (won.toast.text or "")


async def test_audience_picked_groups_over_pages_and_no_subscriber_notice(shop: Any) -> None:
    """Seven groups make two pages; two picked groups (one on each page) get the card, the others and the
    subscriber do not."""
    await make_product(shop.db, "RICE-1", price=9900, stock=40)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    sub = await shop.client.user("Sue")
    names = ("Alder", "Birch", "Cedar", "Daisy", "Elm", "Fern", "Grove")
    chats = {name: await shop.client.group(f"{name} Street", members=[sub], bot_admin=True) for name in names}
    await shop.client.wait_for(lambda: _groups_known(shop.db, len(names)), timeout=10)
    await ada.send("/start")
    await sub.send("/start")
    await sub.send("/subscribe")

    await ada.send("/flash_new")
    await ada.tap("Product RICE-1")
    for label in ("−50%", "5", "2", "Now", "30 min"):
        await ada.tap(label)
    await ada.tap("Pick groups")
    picker = await ada.last_message()
    shown = labels(picker)
    assert "⬜ Alder Street" in shown and "⬜ Fern Street" in shown and not any("Grove" in b for b in shown)
    assert "1/2" in shown
    nothing = await ada.tap("Next")  # nothing picked yet: told, nothing changes
    assert nothing.toast is not None and "Pick at least one group" in (nothing.toast.text or "")
    await ada.tap("Birch Street")
    await ada.tap("▶️")
    page_two = await ada.last_message()
    assert "⬜ Grove Street" in labels(page_two) and "2/2" in labels(page_two)
    await ada.tap("Grove Street")
    await ada.tap("Subscribers: notified")  # now: not told
    picked = await ada.last_message()
    assert "☑️ Grove Street" in labels(picked) and "🔕 Subscribers: not told" in labels(picked)
    assert "2 groups (Birch Street, Grove Street); subscribers are not told" in text_of(picked)
    await ada.tap("Next")
    summary = await ada.last_message()
    assert summary is not None and summary.message_id == picker.message_id  # every tap edited one message
    assert "Audience: 2 groups (Birch Street, Grove Street); subscribers are not told" in text_of(summary)
    await ada.tap("Create flash sale")
    (sale,) = await flashsale.list_sales(shop.db)
    assert sale.groups is not None and set(sale.groups) == {chats["Birch"].id, chats["Grove"].id}
    assert sale.subscribers is False

    await shop.client.wait_for(lambda: _bot_cards(sub, chats["Grove"]), timeout=10)
    await shop.client.wait_for(lambda: _bot_cards(sub, chats["Birch"]), timeout=10)
    # Every announcement of a start is queued in the start's transaction: these are all there will be.
    assert await _announced_to(shop.db, sale.id) == {chats["Birch"].id, chats["Grove"].id}
    assert await _bot_cards(sub, chats["Alder"]) == []


async def test_list_edit_before_start_and_cancel_by_taps(shop: Any) -> None:
    product_id = await make_product(shop.db, "RICE-1", price=9900, stock=40)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    alice = await shop.client.user("Alice")
    oak = await shop.client.group("Oak Street", members=[alice], bot_admin=True)
    await shop.client.group("Pine Street", members=[alice], bot_admin=True)
    await shop.client.wait_for(lambda: _groups_known(shop.db, 2), timeout=10)
    sale = await scheduled_sale(shop.db, "RICE-1", stock=10, price=7900, starts_in=timedelta(hours=1))
    other = await scheduled_sale(shop.db, "RICE-1", stock=1, price=5000, starts_in=timedelta(hours=3))
    await flashsale.cancel_sale(shop.db, other.id, actor_id=None)  # neither scheduled nor live: not listed
    await ada.send("/start")

    await ada.send("/admin")
    await ada.tap("Flash sales")
    listing = await ada.last_message()
    assert "scheduled and live" in text_of(listing)
    (item,) = [b for b in labels(listing) if b.startswith("#")]
    assert item.startswith(f"#{sale.id} 🕒 scheduled · Product RICE-1 · ¥79.00")
    await ada.tap(f"#{sale.id} ")
    screen = await ada.last_message()
    assert screen is not None and screen.message_id == listing.message_id
    assert f"Flash sale #{sale.id}" in text_of(screen) and "Units: 10, 0 won" in text_of(screen)
    assert "Gold 10 min earlier" in text_of(screen)  # the shop's tiers: Gold members hear first
    assert {"✏️ Edit", "✖️ Cancel sale", "⬅️ Back"} <= set(labels(screen))

    await ada.tap("Edit")
    menu = await ada.last_message()
    assert f"Editing flash sale #{sale.id}" in text_of(menu) and "¥79.00" in text_of(menu)
    assert "Early access: Gold 10 min earlier (subscribers in those tiers hear first)" in text_of(menu)
    await ada.tap("Price")
    price = await ada.last_message()
    assert "Flash price?" in text_of(price) and "⬅️ Back" in labels(price) and "✖️ Stop set-up" not in labels(price)
    await ada.tap("−50% · ¥49.50")
    assert "¥49.50" in text_of(await ada.last_message())  # back on the edit menu
    await ada.tap("Units")
    assert "1–40" in text_of(await ada.last_message())  # 30 left in the product plus the 10 the sale holds
    await ada.tap("20")
    for step, choice in (("Per person", "2"), ("Duration", "2 h")):
        await ada.tap(step)
        await ada.tap(choice)
    await ada.tap("Audience")
    await ada.tap("Pick groups")
    await ada.tap("Oak Street")
    await ada.tap("Next")
    edited = await ada.last_message()
    assert "1 group (Oak Street)" in text_of(edited) and "Units: 20, up to 2 each" in text_of(edited)
    assert edited is not None and edited.message_id == listing.message_id  # all in place
    saved = await ada.tap("Save changes")
    assert saved.toast is not None and "updated" in (saved.toast.text or "")
    after = await flashsale.get_sale(shop.db, sale.id)
    assert (after.price, after.stock, after.per_user_limit, after.groups) == (4950, 20, 2, (oak.id,))
    assert after.starts_at == sale.starts_at and after.ends_at - after.starts_at == timedelta(hours=2)
    assert await product_stock(shop.db, product_id) == 20  # 40 - 20 held by the sale (the cancelled one gave back)
    assert "¥49.50" in text_of(await ada.last_message())  # the sale's screen again

    await ada.tap("Cancel sale")
    confirm = await ada.last_message()
    assert f"Cancel flash sale #{sale.id}" in text_of(confirm)
    await ada.tap("No, keep it")
    assert (await flashsale.get_sale(shop.db, sale.id)).status == "scheduled"
    await ada.tap("Back")
    assert f"#{sale.id} " in " ".join(labels(await ada.last_message()))  # Back returns to the list
    await ada.tap(f"#{sale.id} ")
    await ada.tap("Cancel sale")
    await ada.tap("Yes, cancel it")
    assert "is cancelled" in text_of(await ada.last_message())
    assert (await flashsale.get_sale(shop.db, sale.id)).status == "cancelled"
    assert await product_stock(shop.db, product_id) == 40
    await ada.tap("Flash sales")
    empty = await ada.last_message()
    assert "none scheduled or live" in text_of(empty) and not any(b.startswith("#") for b in labels(empty))


async def test_a_sale_that_started_meanwhile_cannot_be_edited(shop: Any) -> None:
    await make_product(shop.db, "RICE-1", price=9900, stock=40)
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang="zh-hans")
    eve = await shop.client.user("Eve")
    sale = await scheduled_sale(shop.db, "RICE-1", stock=10, price=7900, starts_in=timedelta(hours=1))
    for person in (ada, eve):
        await person.send("/start")
    await eve.send("/flash_list")
    assert "not allowed" in text_of(await eve.last_message())

    await ada.send("/flash_list")
    await ada.tap(f"#{sale.id} ")
    await ada.tap("修改")
    await ada.tap("每人限购")
    await ada.tap("3")
    menu = await ada.last_message()
    assert "每人最多 3 件" in text_of(menu) and "黄金提前 10 分钟" in text_of(menu)
    # The sale starts while the admin is still editing (as its start event would make it).
    async with shop.db.tx() as session:
        await flashsale.start_sale(session, sale.id, late_by=timedelta(0), grace=timedelta(minutes=5))
    await ada.tap("保存修改")
    refused = await ada.last_message()
    assert f"秒杀 #{sale.id} 已经开始" in text_of(refused) and "不能再修改" in text_of(refused)
    assert (await flashsale.get_sale(shop.db, sale.id)).per_user_limit == 1
    await ada.tap("秒杀列表")
    await ada.tap(f"#{sale.id} ")
    live = await ada.last_message()
    assert "✏️ 修改" not in labels(live) and "✖️ 取消秒杀" in labels(live)  # a live sale: cancel only


async def test_chinese_admin_and_stale_buttons(shop: Any) -> None:
    await make_product(shop.db, "RICE-1", price=9900, stock=40)
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang="zh-hans")
    await ada.send("/start")
    await ada.send("/flash_new")
    first = await ada.last_message()
    assert "新建秒杀" in text_of(first)
    await ada.tap("商品 RICE-1")
    assert "秒杀价" in text_of(await ada.last_message())
    await ada.send("abc")  # a typed price it cannot read: told in Chinese
    assert "价格" in text_of(await ada.last_message())
    await ada.send("88")
    stock = await ada.last_message()
    assert "拿出多少件" in text_of(stock)
    await ada.tap("停止设置")
    assert "未创建秒杀" in text_of(await ada.last_message())
    assert await flashsale.list_sales(shop.db) == []


async def test_every_tap_rechecks_the_admin_role_and_a_double_tap_cancels_once(shop: Any) -> None:
    await make_product(shop.db, "RICE-1", price=9900, stock=40)
    bob = await shop.client.user("Bob")
    await users.grant_role(shop.db, bob.id, "admin")
    first = await scheduled_sale(shop.db, "RICE-1", stock=10, price=7900, starts_in=timedelta(hours=1))
    second = await scheduled_sale(shop.db, "RICE-1", stock=5, price=6900, starts_in=timedelta(hours=2))
    await bob.send("/start")
    await bob.send("/flash_list")
    await bob.tap(f"#{first.id} ")
    await bob.tap("Edit")
    await users.revoke_role(shop.db, bob.id, "admin")  # no longer an admin, the edit menu still on screen
    refused = await bob.tap("Per person")
    assert refused.toast is not None and "not allowed" in (refused.toast.text or "")
    assert "Per person" in labels(await bob.last_message())  # nothing moved on

    await users.grant_role(shop.db, bob.id, "admin")
    await bob.send("/flash_list")
    await bob.tap(f"#{second.id} ")
    await bob.tap("Cancel sale")
    confirm = await bob.last_message()
    await asyncio.gather(bob.tap("Yes, cancel it", message=confirm), bob.tap("Yes, cancel it", message=confirm))
    await shop.client.settle()
    assert "is cancelled" in text_of(await bob.last_message())
    assert (await flashsale.get_sale(shop.db, second.id)).status == "cancelled"
    assert (await flashsale.get_sale(shop.db, first.id)).status == "scheduled"


async def test_admin_types_every_answer_the_way_people_write_them(shop: Any) -> None:
    """An outside tester typed `200`, `99,9`, `¥99.90`, `0` at the price step (all told "must be positive"),
    and `2` or `in 5 min` at the limit and start steps (told "please answer with text"). Each typed answer
    is read, or refused with the reason."""
    await make_product(shop.db, "RICE-1", price=9900, stock=40)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    await ada.send("/flash_new")
    await ada.send("rice")

    async def says(text: str) -> str:
        await ada.send(text)
        return text_of(await ada.last_message())

    assert "below the regular price (¥99.00)" in await says("200")
    assert "below the regular price" in await says("99,9元")  # a decimal comma: ¥99.90, not ¥999
    assert "as an amount" in await says("0")
    assert "as an amount" in await says("cheap")
    assert "How many units" in await says("¥79,20")
    assert "How many may one person get" in await says("10")
    assert "between 1 and 10" in await says("11")
    assert "When does it start" in await says("2")
    assert "already passed" in await says("2020-01-01 10:00")
    assert "at most 90 days ahead" in await says("in 99999999999999d")  # crashed the wizard (OverflowError)
    assert "How long" in await says("in 5 min")
    assert "between 5 minutes and 7 days" in await says("3m")
    assert "between 5 minutes and 7 days" in await says("99999999999999d")
    assert "Who hears about it" in await says("90 min")
    assert "use the buttons" in await says("all of them")
    await ada.tap("Next")
    summary = next(m for m in reversed(await ada.messages()) if any("Create flash sale" in b for b in labels(m)))
    assert "¥79.20" in text_of(summary)
    await ada.tap("Create flash sale", message=summary)
    (sale,) = await flashsale.list_sales(shop.db)
    assert (sale.price, sale.stock, sale.per_user_limit) == (7920, 10, 2)
    assert sale.ends_at - sale.starts_at == timedelta(minutes=90)
    # "in 5 min" starts at the whole minute the summary showed (rounded up, D16): 5 to 6 minutes on.
    assert timedelta(minutes=3) < sale.starts_at - utcnow() <= timedelta(minutes=6)
    assert sale.starts_at.second == 0
