"""Outside tester: /cancel typed at a broadcast's preview answered "There is nothing to cancel right now", and the
preview's Send then went out to every shopper. Now /cancel there cancels that draft: the preview loses its
buttons, and a Send tapped on any copy of it is refused with "cancelled: nothing was sent"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from store.models import OutboxMessage
from tests.ops.helpers import broadcast_for


async def test_cancel_at_the_preview_cancels_the_draft(shop: Any) -> None:
    admin, (alice,) = await broadcast_for(shop, "👥 All shoppers (2)", {"Alice": "en"})
    await admin.send("Weekend sale on tea")
    preview = await admin.last_message()
    send = preview.button("✅ Send to 2").callback_data or ""

    await admin.send("/cancel")
    assert (await admin.last_message()).text == "Broadcast cancelled."
    shown = next(m for m in await admin.messages() if m.message_id == preview.message_id)
    assert shown.buttons == [], "the preview keeps no Send that could only be refused"

    await admin.tap_data(send, message=preview)  # a copy of the preview still on another device
    toast = (await admin.toasts())[-1]
    assert "cancelled" in (toast.text or "") and "nothing was sent" in (toast.text or ""), toast
    await shop.client.settle()
    async with shop.db.read() as session:
        assert (await session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == alice.id))).all() == []
    await admin.send("/cancel")
    assert "nothing to cancel" in ((await admin.last_message()).text or "")
