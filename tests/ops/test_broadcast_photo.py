"""Photo broadcasts and the product button. End to end: the admin sends a photo with an English and a Chinese
caption, attaches a product found by typing part of its name, sees the recipients' message exactly (photo,
caption, the product's button, the opt-out; the other language a tap away) and the count on Send, confirms;
each shopper gets one photo by the admin's file_id in their language, and the button opens the product's card
for a shopper who never tapped anything; the progress message under the photo counts to the end. A caption
too long for Telegram is refused in the admin's language (no 400), the longest allowed one goes through. On the
store (SQLite and PostgreSQL): the photo and the product are persisted and carried by every recipient's row,
so Pause / Resume and a restart deliver them as previewed."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.emulator.client import MessageView, UserHandle
from bot.views import ops as ops_views
from store import broadcasts, catalog, outbox_rows
from store.db import Database
from store.errors import Conflict, DomainError
from store.models import OutboxMessage
from store.seed import seed_demo_catalog
from tests.conftest import ADMIN_ID, make_test_settings
from tests.ops.helpers import broadcast_for
from tests.orders.helpers import make_users

JPEG = b"\xff\xd8\xff\xe0fakejpeg"
PUER = "TEA-PUER"


@pytest.fixture
def settings() -> Settings:
    # No low-stock alerts: the demo catalog has products under the threshold, and an alert arriving in the
    # admin's chat mid-test would be the last message instead of the screen under test.
    return make_test_settings(ops={"low_stock_threshold": 0})


def _labels(message: MessageView) -> list[str]:
    return [button.text for row in message.buttons for button in row]


async def _bot_photos(user: UserHandle, needle: str) -> list[MessageView]:
    return [m for m in await user.messages() if m.from_bot and m.photo and needle in (m.caption or "")]


async def _wait_photo(user: UserHandle, needle: str) -> MessageView:
    async def find() -> MessageView | None:
        found = await _bot_photos(user, needle)
        return found[-1] if found else None

    got: MessageView = await user.sb.wait_for(find, timeout=10.0)
    return got


@pytest.mark.seeded
async def test_photo_broadcast_with_product_button(shop: Any) -> None:
    admin, (li, alice) = await broadcast_for(shop, "👥 All shoppers (3)", {"李雷": "zh", "Alice": "en"})
    assert "or send a photo" in ((await admin.last_message()).text or "")
    await admin.send_photo(JPEG, caption="Pu'er <b>is back</b>\n---\n普洱回来了")
    uploaded = [m for m in await admin.messages() if not m.from_bot and m.photo][-1]
    assert uploaded.photo is not None
    file_id = uploaded.photo[-1]["file_id"]

    # The preview is one photo: the recipients' caption and buttons as sent, a labelled row, then Send (naming
    # the count).
    preview = await admin.last_message()
    assert preview.photo is not None and preview.photo[-1]["file_id"] == file_id
    assert preview.caption == "Pu'er <b>is back</b>\n\nAnnouncement from the shop"  # shown as typed
    assert _labels(preview) == [
        "🔕 No more announcements",
        "👆 What 3 recipients get · only you see the buttons below 👇",
        "✅ Send to 3",
        "✖️ Cancel",
        "🛍 Add a product button",
        "🌐 Show the Chinese version",
    ]
    await admin.tap("🌐 Show the Chinese version", message=preview)
    zh_preview = await admin.last_message()
    assert zh_preview.message_id == preview.message_id and zh_preview.caption == "普洱回来了\n\n来自店铺的通知"
    assert _labels(zh_preview)[0] == "🔕 不再接收通知" and "🌐 Show the English version" in _labels(zh_preview)

    await admin.tap("🛍 Add a product button", message=zh_preview)
    picker = await admin.last_message()
    assert "Which product" in (picker.text or "") and len(picker.buttons) > 2  # the latest products, and Back
    await admin.send("nothing-like-this")
    assert "No product matches “nothing-like-this”" in ((await admin.last_message()).text or "")
    await admin.send("pu'er")
    matches = await admin.last_message()
    assert "matching “pu'er”" in (matches.text or "")
    await admin.tap("Aged Pu'er tea cake", message=matches)

    # The preview again, now with the product's button (a link to its card), in the admin's language.
    preview = await admin.last_message()
    assert preview.photo is not None and preview.caption == "Pu'er <b>is back</b>\n\nAnnouncement from the shop"
    assert _labels(preview) == [
        "🛍 Aged Pu'er tea cake, 357 g",
        "🔕 No more announcements",
        "👆 What 3 recipients get · only you see the buttons below 👇",
        "✅ Send to 3",
        "✖️ Cancel",
        "🛍 Change the product",
        "🚫 No product button",
        "🌐 Show the Chinese version",
    ]
    assert preview.buttons[0][0].url == f"https://t.me/{shop.app.ctx.bot_username}?start=p_{PUER}"
    await admin.tap("🌐 Show the Chinese version", message=preview)
    assert _labels(await admin.last_message())[:2] == ["🛍 普洱熟茶饼 357克", "🔕 不再接收通知"]
    await admin.tap("🌐 Show the English version", message=preview)
    assert len([m for m in await admin.messages() if m.from_bot and m.photo]) == 1, "one preview, edited"

    sent = await admin.tap("✅ Send to 3", message=preview)
    assert sent.toast is not None and "Sending to 3" in sent.toast.text
    kept = next(m for m in await admin.messages() if m.message_id == preview.message_id)
    assert _labels(kept) == ["🛍 Aged Pu'er tea cake, 357 g", "🔕 No more announcements"]  # the record of it
    for user, caption, button in (
        (alice, "Pu'er <b>is back</b>\n\nAnnouncement from the shop", "🛍 Aged Pu'er tea cake, 357 g"),
        (li, "普洱回来了\n\n来自店铺的通知", "🛍 普洱熟茶饼 357克"),
    ):
        got = await _wait_photo(user, caption.split("\n")[0])
        assert got.caption == caption
        assert got.photo is not None and got.photo[-1]["file_id"] == file_id  # sent by file_id, not re-uploaded
        assert _labels(got)[0] == button and got.buttons[1][0].callback_data == "bc:optout::0"
    await shop.client.settle()
    for user in (alice, li):
        assert len([m for m in await user.messages() if m.from_bot and m.photo]) == 1

    # The progress message under the photo is edited until every recipient has it.
    async def finished() -> MessageView | None:
        shown = [m for m in await admin.messages() if m.from_bot and "Broadcast #1" in (m.text or "")]
        return shown[0] if len(shown) == 1 and "finished" in (shown[0].text or "") else None

    progress_message = await admin.sb.wait_for(finished, timeout=15.0)
    assert "Broadcast #1" in (progress_message.text or "") and "Sent 3 of 3" in (progress_message.text or "")

    # 李雷 never tapped anything: the button's deep link opens the card, the broadcast stays.
    broadcast = (await _bot_photos(li, "普洱回来了"))[0]
    tapped = await li.tap("🛍 普洱熟茶饼 357克", message=broadcast)
    assert tapped.raw.get("deeplink") == f"p_{PUER}"
    await li.open_deeplink(f"p_{PUER}")
    card = await li.last_message()
    assert "普洱熟茶饼" in (card.text or card.caption or "") and card.message_id != broadcast.message_id
    assert await _bot_photos(li, "普洱回来了"), "the broadcast and its opt-out are still there"
    progress = await broadcasts.progress(shop.db, 1)
    assert (progress.total, progress.failed, progress.blocked) == (3, 0, 0), progress


async def test_too_long_caption_is_refused_in_the_admins_language(shop: Any) -> None:
    admin, (alice,) = await broadcast_for(shop, "👥 全部顾客（2）", {"Alice": "en"}, admin_lang="zh")
    room = ops_views.caption_room()
    assert room == 1024 - len("\n\nAnnouncement from the shop")
    await admin.send_photo(JPEG, caption="x" * (room + 1))
    refused = await admin.last_message()
    assert f"这段图片说明有 {room + 1} 个字符" in (refused.text or "") and str(room) in (refused.text or "")
    # Still composing: the longest caption that fits with the frame goes through Telegram's 1024.
    await admin.send_photo(JPEG, caption="y" * room)
    preview = await admin.last_message()
    assert preview.caption == "y" * room + "\n\n来自店铺的通知"
    await admin.tap("✅ 发送给 2 人", message=preview)
    got = await _wait_photo(alice, "yyy")
    assert got.caption == "y" * room + "\n\nAnnouncement from the shop" and len(got.caption) == 1024


async def test_a_document_is_not_a_broadcast(shop: Any) -> None:
    admin = await shop.client.user("Ada", id=ADMIN_ID)
    await admin.send("/start")
    await admin.send("/admin")
    await admin.tap("📣 Broadcast")
    await admin.tap("👥 All shoppers (1)")
    await admin.send_document(b"%PDF-1.4", filename="flyer.pdf")
    assert "a text or one photo" in ((await admin.last_message()).text or "")


async def _statuses(db: Database, broadcast_id: int) -> Counter[str]:
    async with db.read() as session:
        query = select(OutboxMessage.status).where(OutboxMessage.dedupe_key.like(f"bc:{broadcast_id}:%"))
        return Counter((await session.execute(query)).scalars())


async def test_photo_and_product_persist_through_pause_and_resume(any_db: Database) -> None:
    await seed_demo_catalog(any_db)
    await make_users(any_db, list(range(1, 7)))
    with pytest.raises(DomainError) as refused:
        await broadcasts.create_draft(any_db, ADMIN_ID, "all", "👍" * 6, photo="AgAD", max_caption=10)
    assert (refused.value.code, refused.value.params) == ("ops_broadcast_long_caption", {"max": 10, "length": 12})
    draft = await broadcasts.create_draft(any_db, ADMIN_ID, "all", "", photo="AgADphoto", max_caption=10)
    assert (draft.text_en, draft.text_zh, draft.photo, draft.product) == ("", "", "AgADphoto", None)
    puer = await catalog.get_product_by_sku(any_db, PUER)
    assert puer is not None
    attached = await broadcasts.attach_product(any_db, draft.id, puer.id)
    assert attached.product is not None and attached.product.sku == PUER
    assert [p.sku for p in await broadcasts.product_choices(any_db, "pu'er")] == [PUER]
    assert [p.sku for p in await broadcasts.product_choices(any_db, PUER.lower())] == [PUER]
    assert len(await broadcasts.product_choices(any_db)) == broadcasts.PRODUCT_CHOICES

    # A new reading (as after a restart) finds the photo and the product.
    again = await broadcasts.get(any_db, draft.id)
    assert again.photo == "AgADphoto" and again.product == attached.product
    assert await broadcasts.send(any_db, draft.id, ADMIN_ID, per_second=1000) == 6
    async with any_db.read() as session:
        params = (
            await session.execute(select(OutboxMessage.params).where(OutboxMessage.dedupe_key.like(f"bc:{draft.id}:%")))
        ).scalars()
        assert all(p["photo"] == "AgADphoto" and p["product_sku"] == PUER for p in params)
    with pytest.raises(Conflict):  # sent: the product is fixed now
        await broadcasts.attach_product(any_db, draft.id, None)

    claimed = await outbox_rows.claim_due(any_db, 2)
    await outbox_rows.mark(any_db, claimed[0].id, "sent")
    assert await broadcasts.pause(any_db, draft.id, ADMIN_ID)
    assert await _statuses(any_db, draft.id) == Counter({"held": 5, "sent": 1})
    assert await broadcasts.resume(any_db, draft.id, ADMIN_ID, per_second=1000)
    await asyncio.sleep(0.02)
    rest = await outbox_rows.claim_due(any_db, 50)
    assert len(rest) == 5 and all(r.params["photo"] == "AgADphoto" for r in rest)
    out = ops_views.broadcast_message("zh", rest[0].params, "groupcart_bot")
    assert out.photo == "AgADphoto" and out.text == "\n\n<i>来自店铺的通知</i>"
    assert out.reply_markup is not None
    assert [b.text for row in out.reply_markup.inline_keyboard for b in row] == [
        "🛍 普洱熟茶饼 357克",
        "🔕 不再接收通知",
    ]


@pytest.mark.seeded
async def test_text_broadcast_with_a_product_picked_from_the_latest(shop: Any) -> None:
    admin, (alice,) = await broadcast_for(shop, "👥 All shoppers (2)", {"Alice": "en"})
    await admin.send("Something new in the shop")
    preview = await admin.last_message()
    # The recipients' message as they get it, then the labelled row, then the admin's own buttons (D20).
    assert preview.text == "Something new in the shop\n\nAnnouncement from the shop"
    label = "👆 What 2 recipients get · only you see the buttons below 👇"
    assert _labels(preview) == ["🔕 No more announcements", label, "✅ Send to 2", "✖️ Cancel", "🛍 Add a product button"]
    await admin.tap("🛍 Add a product button", message=preview)
    picker = await admin.last_message()
    latest = await broadcasts.product_choices(shop.db)
    assert picker.message_id == preview.message_id and _labels(picker)[0].endswith(latest[0].sku)
    await admin.tap(_labels(picker)[0], message=picker)
    with_product = await admin.last_message()
    assert with_product.message_id == preview.message_id and with_product.text == preview.text
    button = f"🛍 {latest[0].title_en}"
    assert _labels(with_product)[:2] == [button, "🔕 No more announcements"]
    await admin.tap("🚫 No product button", message=with_product)
    assert _labels(await admin.last_message()) == _labels(preview)
    await admin.tap("🛍 Add a product button", message=preview)
    await admin.tap(_labels(await admin.last_message())[1], message=preview)  # the second latest this time
    await admin.tap("✅ Send to 2", message=preview)

    async def delivered() -> MessageView | None:
        got = [m for m in await alice.messages() if m.from_bot and "Something new" in (m.text or "")]
        return got[0] if got else None

    got = await alice.sb.wait_for(delivered, timeout=10.0)
    assert _labels(got) == [f"🛍 {latest[1].title_en}", "🔕 No more announcements"]
    assert got.buttons[0][0].url is not None and got.buttons[0][0].url.endswith(f"start=p_{latest[1].sku}")
    # A picker left from before Confirm changes nothing now: the admin is told why.
    await admin.tap_data(f"bd:pp:{latest[0].id}:1:3", message=preview)
    toasts = await admin.toasts()
    assert toasts and "already sent" in toasts[-1].text
