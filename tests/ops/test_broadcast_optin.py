"""The tester's D20, end to end. (1) The preview of a broadcast is the recipients' message as they get it (text
or caption, the product's button, the opt-out), with the admin's own buttons under a labelled row; its opt-out
does not opt the admin out. (2) A shopper who opted out can opt back in: the message they tapped offers
"Receive offers again", /subscribe brings announcements back, and /mydata offers the same button; every way
is idempotent and answered in the shopper's language. Store level: opting in removes the opt-out row (SQLite
and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import Settings
from bot.emulator.client import MessageView, UserHandle
from store import broadcasts
from store.db import Database
from tests.conftest import ADMIN_ID, make_test_settings
from tests.orders.helpers import make_users

OPT_OUT = "🔕 No more announcements"
OPT_IN = "🔔 Receive offers again"


@pytest.fixture
def settings() -> Settings:
    return make_test_settings(ops={"low_stock_threshold": 0})  # no stock alert in the admin's chat mid-test


def _labels(message: MessageView) -> list[str]:
    return [button.text for row in message.buttons for button in row]


async def _now(user: UserHandle, message: MessageView) -> MessageView:
    return next(m for m in await user.messages() if m.message_id == message.message_id)


async def _received(user: UserHandle, words: str) -> MessageView:
    async def found() -> MessageView | None:
        got = [m for m in await user.messages() if m.from_bot and words in (m.text or m.caption or "")]
        return got[-1] if got else None

    got = await user.sb.wait_for(found, timeout=10.0)
    assert got is not None
    return got


async def _broadcast(shop: Any, admin: UserHandle, audience: str, text: str) -> MessageView:
    await admin.send("/admin")
    await admin.tap("📣 Broadcast")
    await admin.tap(audience)
    await admin.send(text)
    return await admin.last_message()


# ---------------------------------------------------------------------------------------------- the preview


@pytest.mark.seeded
async def test_text_preview_is_the_recipients_message_with_the_admins_buttons_apart(shop: Any) -> None:
    await shop.client.set_flood_limits(False)
    admin = await shop.client.user("Ada", id=ADMIN_ID)
    await admin.send("/start")
    alice = await shop.client.user("Alice")
    await alice.send("/start")
    preview = await _broadcast(shop, admin, "👥 All shoppers (2)", "Tea <b>week</b>")
    # Exactly the recipients' message: their text and their opt-out, then a labelled row, then the admin's own.
    assert preview.text == "Tea <b>week</b>\n\nAnnouncement from the shop"
    labels = _labels(preview)
    assert labels[0] == OPT_OUT
    assert "only you see the buttons below" in labels[1] and "2 recipients" in labels[1]
    assert labels[2:] == ["✅ Send to 2", "✖️ Cancel", "🛍 Add a product button"]

    # The preview's opt-out only explains itself: the admin is not opted out by trying it.
    tapped = await admin.tap(OPT_OUT, message=preview)
    assert tapped.toast is not None and "preview" in (tapped.toast.text or "").lower()
    assert not await broadcasts.opted_out(shop.db, ADMIN_ID)
    label = await admin.tap(labels[1], message=preview)
    assert label.toast is not None  # every callback is answered, the label row's too

    # With a product: its button above the opt-out, as the recipients get it.
    await admin.tap("🛍 Add a product button", message=preview)
    picker = await _now(admin, preview)
    await admin.tap(_labels(picker)[0], message=picker)
    with_product = await _now(admin, preview)
    recipient_part = _labels(with_product)[:2]
    assert recipient_part[0].startswith("🛍 ") and recipient_part[1] == OPT_OUT
    await admin.tap("✅ Send to 2", message=with_product)
    got = await _received(alice, "Tea <b>week</b>")
    assert got.text == with_product.text
    assert _labels(got) == recipient_part
    assert got.buttons[0][0].url == with_product.buttons[0][0].url


@pytest.mark.seeded
async def test_text_preview_in_two_languages_shows_one_at_a_time(shop: Any) -> None:
    await shop.client.set_flood_limits(False)
    admin = await shop.client.user("Ada", id=ADMIN_ID)
    await admin.send("/start")
    li = await shop.client.user("李雷", lang="zh")
    await li.send("/start")
    preview = await _broadcast(shop, admin, "👥 All shoppers (2)", "New teas\n---\n新茶到店")
    assert preview.text == "New teas\n\nAnnouncement from the shop"
    await admin.tap("🌐 Show the Chinese version", message=preview)
    zh = await _now(admin, preview)
    assert zh.text == "新茶到店\n\n来自店铺的通知" and _labels(zh)[0] == "🔕 不再接收通知"
    await admin.tap(next(label for label in _labels(zh) if label.startswith("✅")), message=zh)
    got = await _received(li, "新茶到店")
    assert got.text == zh.text and _labels(got) == _labels(zh)[:1]


# ---------------------------------------------------------------------------------------------- opting back in


async def test_opted_out_shopper_opts_back_in_from_the_message(shop: Any) -> None:
    await shop.client.set_flood_limits(False)
    admin = await shop.client.user("Ada", id=ADMIN_ID)
    await admin.send("/start")
    alice = await shop.client.user("Alice")
    await alice.send("/start")
    li = await shop.client.user("李雷", lang="zh")
    await li.send("/start")
    preview = await _broadcast(shop, admin, "👥 All shoppers (3)", "Autumn tea\n---\n秋茶")
    await admin.tap("✅ Send to 3", message=preview)
    got = await _received(alice, "Autumn tea")

    out = await alice.tap(OPT_OUT, message=got)
    assert out.toast is not None and "will not receive" in (out.toast.text or "")
    assert await broadcasts.opted_out(shop.db, alice.id)
    shown = await _now(alice, got)
    assert _labels(shown) == [OPT_IN], "the way back is where the shopper tapped"

    back = await alice.tap(OPT_IN, message=shown)
    assert back.toast is not None and "again" in (back.toast.text or "")
    assert not await broadcasts.opted_out(shop.db, alice.id)
    assert _labels(await _now(alice, got)) == [OPT_OUT]
    # A second tap from a client that had not caught up: idempotent, told so, nothing else changes.
    await alice.tap_data(shown.buttons[0][0].callback_data or "", message=shown)
    toasts = await alice.toasts()
    assert toasts and "already" in (toasts[-1].text or ""), toasts
    assert _labels(await _now(alice, got)) == [OPT_OUT]
    assert not [e for e in await shop.client.error_responses() if "not modified" in e.description]
    assert not await broadcasts.opted_out(shop.db, alice.id)
    assert await broadcasts.audience_size(shop.db, "all") == 3

    # In Chinese.
    li_got = await _received(li, "秋茶")
    await li.tap("🔕 不再接收通知", message=li_got)
    li_back = await li.tap("🔔 重新接收优惠通知", message=await _now(li, li_got))
    assert li_back.toast is not None and "重新" in (li_back.toast.text or "")
    assert not await broadcasts.opted_out(shop.db, li.id)
    assert not await shop.client.unanswered()


async def test_subscribe_brings_announcements_back_and_is_idempotent(shop: Any) -> None:
    alice = await shop.client.user("Alice")
    await alice.send("/start")
    li = await shop.client.user("李雷", lang="zh")
    await li.send("/start")
    assert await broadcasts.opt_out(shop.db, alice.id)
    assert await broadcasts.opt_out(shop.db, li.id)

    await alice.send("/subscribe")
    first = (await alice.last_message()).text or ""
    assert "announcements" in first.lower() and not await broadcasts.opted_out(shop.db, alice.id)
    await alice.send("/subscribe")
    assert "already" in ((await alice.last_message()).text or "")
    assert not await broadcasts.opted_out(shop.db, alice.id)

    await li.send("/subscribe")
    assert "店铺通知" in ((await li.last_message()).text or "")
    assert not await broadcasts.opted_out(shop.db, li.id)


async def test_mydata_offers_the_way_back_and_forgetme_keeps_the_opt_out(shop: Any) -> None:
    alice = await shop.client.user("Alice")
    await alice.send("/start")
    await alice.send("/mydata")
    subscribed = await alice.last_message()
    assert subscribed.document is not None and OPT_IN not in _labels(subscribed)

    assert await broadcasts.opt_out(shop.db, alice.id)
    await alice.send("/mydata")
    export = await alice.last_message()
    assert "you opted out" in (export.caption or "") and "/subscribe" in (export.caption or "")
    assert _labels(export) == [OPT_IN]
    back = await alice.tap(OPT_IN, message=export)
    assert back.toast is not None and "again" in (back.toast.text or "")
    assert not await broadcasts.opted_out(shop.db, alice.id)
    assert _labels(await _now(alice, export)) == [], "the export's button is used up (its caption is a record)"

    # /forgetme erases the lists but keeps a "do not message me": the opt-out survives, and so does the way back.
    assert await broadcasts.opt_out(shop.db, alice.id)
    await alice.send("/forgetme")
    await alice.tap("Yes, erase my data")
    assert await broadcasts.opted_out(shop.db, alice.id)
    await alice.send("/subscribe")
    assert not await broadcasts.opted_out(shop.db, alice.id)


# ---------------------------------------------------------------------------------------------- store


async def test_opt_in_removes_the_opt_out_once(any_db: Database) -> None:
    await make_users(any_db, [1, 2])
    assert not await broadcasts.opt_in(any_db, 1), "never opted out: nothing to undo"
    assert await broadcasts.opt_out(any_db, 1)
    assert await broadcasts.audience_size(any_db, "all") == 1
    assert await broadcasts.opt_in(any_db, 1)
    assert not await broadcasts.opt_in(any_db, 1), "a second opt-in changes nothing"
    assert not await broadcasts.opted_out(any_db, 1)
    assert await broadcasts.audience_size(any_db, "all") == 2
    assert await broadcasts.opt_out(any_db, 1), "and out again"
    assert not await broadcasts.opt_in(any_db, 999), "an unknown user: nothing to undo"
