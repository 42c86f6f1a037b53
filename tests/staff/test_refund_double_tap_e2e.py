"""Outside tester: a double tap on «Refunded with the provider» answered one tap "Marked as refunded" and the other
with an alert "The refund did not go through", though it had gone through: an admin who believes it would refund
the buyer a second time. The marking also left no trace in the audit log, though it is where the money moves; and a
stale order card's second Refund said "cannot change from «refunded» to «refunded»"."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from store.models.ops import AuditEntry
from tests.conftest import ADMIN_ID
from tests.delivery.helpers import paid_pickup_order


async def test_a_double_tap_on_refunded_is_not_a_failure_and_is_audited(shop: Any) -> None:
    await shop.client.set_flood_limits(False)
    await paid_pickup_order(shop)

    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/admin")
    await ada.tap("Orders")
    await ada.tap("Pickup orders")
    await ada.tap("#1")
    card = await ada.last_message()
    await ada.tap("Refund")
    await ada.tap("Yes, refund")
    stale = await ada.tap_data(card.button("Refund").callback_data or "", message=card)  # an older copy
    assert "already refunded" in ((await ada.toasts())[-1].text or ""), stale

    await ada.send("/admin")
    await ada.tap("Orders")
    await ada.tap("Refunds to process (1)")
    await ada.tap("Payment")
    screen = await ada.last_message()
    done = screen.button("Refunded with the provider").callback_data or ""
    await asyncio.gather(ada.tap_data(done, message=screen), ada.tap_data(done, message=screen))
    toasts = [toast for toast in (await ada.toasts())[-2:]]
    texts = sorted(toast.text or "" for toast in toasts)
    assert texts == ["Already marked as refunded: nothing to do.", "Marked as refunded."], texts
    assert not any(toast.show_alert for toast in toasts), "nothing failed"
    async with shop.db.read() as session:
        entries = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "payment.refunded"))).all()
    assert [(entry.actor_id, entry.after["status"]) for entry in entries] == [(ADMIN_ID, "refunded")]  # type: ignore[index]
