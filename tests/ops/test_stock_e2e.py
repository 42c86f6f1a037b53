"""Stock operations end to end through the emulator: a checkout that leaves stock low alerts the admin once,
the Restock buttons (+10, a typed amount) work and are audited, and a shopper who tapped "Notify me" on a
sold-out card is told once when it is back, in their language."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.emulator.client import UserHandle
from bot.tap_guard import WINDOW_SECONDS
from store import audit, stock_alerts, users
from tests.conftest import ADMIN_ID
from tests.orders.helpers import fill_cart, make_product, stock_of


async def _low_stock_rows(shop: Any) -> int:
    return await _rows(shop, stock_alerts.LOW_STOCK_TEMPLATE)


async def _rows(shop: Any, template: str) -> int:
    from sqlalchemy import func, select

    from store.models import OutboxMessage

    async with shop.db.read() as session:
        query = select(func.count()).where(OutboxMessage.template == template)
        return int((await session.execute(query)).scalar_one())


async def _buy_two(shop: Any, product_id: int) -> UserHandle:
    """Alice checks out two units (reserved at once): 6 in stock leaves 4, below the default threshold of 5."""
    alice = await shop.client.user("Alice")
    await alice.send("/start")
    await fill_cart(shop.db, alice.id, {product_id: 2})
    await alice.send("/checkout")
    await alice.tap("Pick up: Central Store")
    await alice.tap("by card")
    return alice


async def test_checkout_below_threshold_alerts_admin_once_and_restock(shop: Any) -> None:
    await shop.client.set_flood_limits(False)
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=6)
    admin = await shop.client.user("Ada", id=ADMIN_ID)
    await admin.send("/start")
    alice = await _buy_two(shop, tea)
    assert await stock_of(shop.db, tea) == 4  # reserved: below the default threshold of 5
    alert = await admin.bot_says("Low stock")
    assert "TEA-1" in (alert.text or "") and "Only 4 left (threshold 5)" in (alert.text or "")
    labels = [b.text for row in alert.buttons for b in row]
    assert labels == ["+10", "+50", "✏️ Other amount"]

    tapped = await admin.tap("+10", message=alert)
    assert tapped.toast is not None and "stock is now 14" in tapped.toast.text
    card = await admin.last_message()
    assert card is not None and "4 → 14" in (card.text or "")
    assert await stock_of(shop.db, tea) == 14

    await admin.tap("✏️ Other amount", message=card)
    assert "How many units" in ((await admin.last_message()).text or "")
    await admin.send("lots")
    assert "whole number from 1 to 100000" in ((await admin.last_message()).text or "")
    await admin.send("25")
    done = await admin.last_message()
    assert done is not None and "14 → 39" in (done.text or "")
    assert await stock_of(shop.db, tea) == 39

    # A shopper cannot use the admin's buttons, whatever the callback data says.
    from bot.callbacks.ops import RestockCB

    await alice.tap_data(RestockCB(a="add", p=tea, n=10).pack())
    assert await stock_of(shop.db, tea) == 39

    await shop.client.settle()
    assert await _low_stock_rows(shop) == 1  # one fall, one alert (its message now shows the restock)
    entries = await audit.latest(shop.db)
    assert [(e.actor_id, e.action, e.before, e.after) for e in entries] == [
        (ADMIN_ID, "stock.restock", {"stock": 14}, {"stock": 39}),
        (ADMIN_ID, "stock.restock", {"stock": 4}, {"stock": 14}),
    ]


async def test_restock_adds_once_for_a_double_tap_and_for_two_admins_on_one_alert(shop: Any) -> None:
    """D4: a double tap on +10 added 20. Now a double tap adds 10; a second admin tapping +10 on the same alert
    after the first is told it was already restocked (with the stock now) and sees the current screen, whose
    +10 then adds; an alert drawn before the buttons carried the change only opens the current screen."""
    import asyncio

    from bot.callbacks.ops import OldRestockCB

    await shop.client.set_flood_limits(False)
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=6)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    bob = await shop.client.user("Bob")
    for person in (ada, bob):
        await person.send("/start")
    await users.grant_role(shop.db, bob.id, "admin", granted_by=ADMIN_ID)
    await _buy_two(shop, tea)
    ada_alert, bob_alert = [await person.bot_says("Low stock") for person in (ada, bob)]

    taps = await asyncio.gather(*(ada.tap("+10", message=ada_alert) for _ in range(2)))
    assert await stock_of(shop.db, tea) == 14, "a double tap adds once"
    assert sum(1 for tap in taps if tap.toast is not None and "stock is now 14" in tap.toast.text) == 1

    late = await bob.tap("+10", message=bob_alert)
    assert late.toast is not None and late.toast.show_alert
    assert "TEA-1 was restocked after this screen was shown (stock is 14 now)" in late.toast.text
    assert await stock_of(shop.db, tea) == 14
    screen = await bob.last_message()
    assert screen is not None and screen.message_id == bob_alert.message_id, "the alert became the current screen"
    assert "In stock: 14" in (screen.text or "")
    again = await bob.tap("+10", message=screen)
    assert again.toast is not None and "stock is now 24" in again.toast.text
    assert await stock_of(shop.db, tea) == 24

    await ada.tap_data(OldRestockCB(a="add", p=tea, n=10).pack(), message=ada_alert)
    assert "older screen" in ((await ada.toasts())[-1].text or "")
    assert await stock_of(shop.db, tea) == 24
    entries = [e for e in await audit.latest(shop.db) if e.action == "stock.restock"]
    assert [(e.actor_id, e.before, e.after) for e in entries] == [
        (bob.id, {"stock": 14}, {"stock": 24}),
        (ADMIN_ID, {"stock": 4}, {"stock": 14}),
    ]


async def test_notify_me_on_sold_out_card_is_told_once(shop: Any) -> None:
    await shop.client.set_flood_limits(False)
    gone = await make_product(shop.db, "GONE-1", stock=0)
    admin = await shop.client.user("Ada", id=ADMIN_ID)
    await admin.send("/start")
    li = await shop.client.user("李雷", lang="zh")
    await li.send("/start p_GONE-1")
    card = await li.last_message()
    assert card is not None
    assert any(b.text == "🔔 到货通知我" for row in card.buttons for b in row)
    first = await li.tap("🔔 到货通知我", message=card)
    assert first.toast is not None and "到货后我们会通知您一次" in first.toast.text
    # The button now says the shopper is on the list, with a Cancel that takes them off it (and back on).
    card = next(m for m in await li.messages() if m.message_id == card.message_id)
    assert [b.text for row in card.buttons for b in row if "🔔" in b.text] == ["🔔 到货会通知您 · 取消"]
    off = await li.tap("🔔 到货会通知您 · 取消", message=card)
    assert off.toast is not None and "已取消" in off.toast.text
    assert await stock_alerts.waiting_count(shop.db, gone) == 0
    await asyncio.sleep(WINDOW_SECONDS)  # a new tap, not a repeat of the first (bot/tap_guard.py)
    await li.tap("🔔 到货通知我", message=card)
    assert await stock_alerts.waiting_count(shop.db, gone) == 1

    alert = await admin.bot_says("Sold out")  # the sweep saw the sold-out product
    await admin.tap("+50", message=alert)
    back = await li.bot_says("已到货")
    assert "商品 GONE-1" in (back.text or "")
    await li.tap("🛍 查看", message=back)
    opened = await li.last_message()
    assert opened is not None and "商品 GONE-1" in (opened.text or opened.caption or "")
    await shop.client.settle()
    assert await _rows(shop, stock_alerts.BACK_IN_STOCK_TEMPLATE) == 1  # told once, though the sweep ran on
    assert await stock_alerts.waiting_count(shop.db, gone) == 0


async def test_admin_audit_view_pages_and_is_admin_only(shop: Any) -> None:
    await shop.client.set_flood_limits(False)
    await make_product(shop.db, "TEA-1", stock=50)
    admin = await shop.client.user("Ada", id=ADMIN_ID, lang="zh")
    await admin.send("/start")
    for n in range(1, 13):  # more than one page (10)
        await admin.send(f"/stock TEA-1 +{n}")
    await admin.send("/admin")
    await admin.tap("📜 操作日志")
    page = await admin.last_message()
    text = page.text or ""
    assert "操作日志" in text and text.count("stock.adjust") == 10
    assert "Ada（admin）" in text and str(ADMIN_ID) not in text and "stock: 116 → 128" in text  # the newest: +12
    await admin.tap("⬅️ 更早", message=page)
    older = await admin.last_message()
    assert (older.text or "").count("stock.adjust") == 2 and "stock: 50 → 51" in (older.text or "")
    await admin.tap("⏮ 最新", message=older)
    assert "stock: 116 → 128" in ((await admin.last_message()).text or "")

    from bot.callbacks.ops import AuditCB

    eve = await shop.client.user("Eve")
    await eve.send("/start")
    tapped = await eve.tap_data(AuditCB(b=0).pack())
    assert "stock.adjust" not in str(tapped) and not any("stock.adjust" in (m.text or "") for m in await eve.messages())


async def test_admin_granted_from_the_command_line_hears_of_stock_already_low(shop: Any) -> None:
    """The sandbox's story: stock fell while no admin had opened the bot (the configured one never did), then
    someone was made admin with `groupcart admin grant`. The fall nobody heard of is not swallowed by the
    once-per-fall rule: the next sweep tells the new admin, once, with the Restock buttons."""
    import argparse

    from bot.cli import admin as admin_cli
    from bot.jobs.ops import check_stock

    await shop.client.set_flood_limits(False)
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=0)
    await check_stock(shop.app.ctx)  # a sweep while no admin can hear it
    rita = await shop.client.user("Rita")
    await rita.send("/start")
    granted = argparse.Namespace(role="admin", user_id=rita.id)
    assert await admin_cli._grant(granted, shop.settings) == 0  # what `groupcart admin grant admin <id>` runs
    alert = await rita.bot_says("Sold out")  # the sweep (every second here) finds someone to tell
    assert "TEA-1" in (alert.text or "") and "Sold out (alert threshold 5)" in (alert.text or "")
    assert [b.text for row in alert.buttons for b in row] == ["+10", "+50", "✏️ Other amount"]
    await check_stock(shop.app.ctx)
    await shop.client.settle()
    assert await _low_stock_rows(shop) == 1, "told once, however many sweeps ran"
    tapped = await rita.tap("+10", message=alert)
    assert tapped.toast is not None and "stock is now 10" in tapped.toast.text
    assert await stock_of(shop.db, tea) == 10
