"""/mydata after opting in or out of shop announcements shows the choice just made (tester: after tapping
"Receive offers again" under the /mydata export, that export still said "you opted out"). The export's file
stays the record of the data as exported; its caption says announcements are back; a new /mydata has it in
the file too, whichever way the shopper opted in (the export's button, a broadcast's button, /subscribe)."""

from __future__ import annotations

import json
from typing import Any

from bot.emulator.client import MessageView, UserHandle
from store import broadcasts

OPT_IN = "🔔 Receive offers again"


async def _export(user: UserHandle) -> tuple[MessageView, dict[str, Any]]:
    await user.send("/mydata")
    export = await user.last_message()
    assert export is not None and export.document is not None
    return export, json.loads(export.document.data)


async def _now(user: UserHandle, message: MessageView) -> MessageView:
    return next(m for m in await user.messages() if m.message_id == message.message_id)


async def test_mydata_follows_the_opt_in_button_and_subscribe(shop: Any) -> None:
    alice = await shop.client.user("Alice")
    await alice.send("/start")
    assert await broadcasts.opt_out(shop.db, alice.id)
    export, data = await _export(alice)
    assert data["broadcasts"]["opted_out"] is True and "you opted out" in (export.caption or "")

    await alice.tap(OPT_IN, message=export)
    tapped = await _now(alice, export)
    assert tapped.buttons == [], "the button is used up"
    caption = tapped.caption or ""
    assert "you opted out" not in caption and "/subscribe" not in caption
    assert "📣 Shop announcements: you receive them again (you opted back in after this export)" in caption
    assert caption.split("\n")[0] == (export.caption or "").split("\n")[0], "the rest of the record stays"
    export, data = await _export(alice)
    assert data["broadcasts"] == {"opted_out": False, "opted_out_at": None}
    assert "you opted out" not in (export.caption or "") and OPT_IN not in str(export.buttons)

    assert await broadcasts.opt_out(shop.db, alice.id)
    export, data = await _export(alice)
    assert data["broadcasts"]["opted_out"] is True
    await alice.send("/subscribe")
    export, data = await _export(alice)
    assert data["broadcasts"]["opted_out"] is False and data["flash_sale_alerts"] == {"subscribed": True}
    assert "you opted out" not in (export.caption or "")


async def test_the_export_says_so_in_chinese(shop: Any) -> None:
    li = await shop.client.user("李雷", lang="zh")
    await li.send("/start")
    assert await broadcasts.opt_out(shop.db, li.id)
    export, _ = await _export(li)
    assert "已退订" in (export.caption or "")
    await li.tap("🔔 重新接收优惠通知", message=export)
    caption = (await _now(li, export)).caption or ""
    assert "已退订" not in caption and "📣 商店通知：已重新接收（导出之后您重新开启了通知）" in caption
    assert not await broadcasts.opted_out(shop.db, li.id)


async def test_mydata_follows_the_buttons_under_a_broadcast(shop: Any) -> None:
    from tests.conftest import ADMIN_ID

    await shop.client.set_flood_limits(False)
    admin = await shop.client.user("Ada", id=ADMIN_ID)
    await admin.send("/start")
    alice = await shop.client.user("Alice")
    await alice.send("/start")
    await alice.send("/mydata")
    await admin.send("/admin")
    await admin.tap("📣 Broadcast")
    await admin.tap("👥 All shoppers (2)")
    await admin.send("Autumn tea")
    preview = await admin.last_message()
    await admin.tap("✅ Send to 2", message=preview)

    async def found() -> MessageView | None:
        got = [m for m in await alice.messages() if m.from_bot and "Autumn tea" in (m.text or "")]
        return got[-1] if got else None

    got = await alice.sb.wait_for(found, timeout=10.0)
    assert got is not None
    await alice.tap("🔕 No more announcements", message=got)
    export, data = await _export(alice)
    assert data["broadcasts"]["opted_out"] is True and "you opted out" in (export.caption or "")
    await alice.tap(OPT_IN, message=await _now(alice, got))
    export, data = await _export(alice)
    assert data["broadcasts"]["opted_out"] is False and "you receive them" in (export.caption or "")


async def test_a_second_tap_on_the_exports_button_changes_nothing(shop: Any) -> None:
    alice = await shop.client.user("Alice")
    await alice.send("/start")
    assert await broadcasts.opt_out(shop.db, alice.id)
    export, _ = await _export(alice)
    button = export.buttons[0][0].callback_data or ""
    await alice.tap(OPT_IN, message=export)
    redrawn = await _now(alice, export)
    await alice.tap_data(button, message=export)  # a client that had not caught up
    toasts = await alice.toasts()
    assert toasts and "already" in (toasts[-1].text or "")
    assert (await _now(alice, export)).caption == redrawn.caption
    assert not [e for e in await shop.client.error_responses() if "not modified" in e.description]
