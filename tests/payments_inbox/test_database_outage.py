"""Issue 9 item 1 on SQLite: the database fails at the moment Telegram delivers a successful_payment.

The outage is injected under SQLAlchemy (every statement on both engines fails, as when the database cannot
be reached), so the whole bot meets it: the inbox, the outbox, the scheduler."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from store import orders, payments
from store.models import Order, Payment, ScheduledJob
from tests.conftest import ADMIN_ID
from tests.orders.helpers import stock_of
from tests.payments_inbox.helpers import (
    BOUGHT,
    PAID_NOTE,
    RECORDING_NOTE,
    STOCK,
    DatabaseOutage,
    assert_paid_once,
    at_payment_delivery,
    bot_texts,
    invoice_in_hand,
    wait_bot_says,
)


def _inbox(shop: Any) -> Any:
    from bot import payment_inbox

    inbox = payment_inbox.of(shop.app.ctx)
    assert inbox is not None
    return inbox


async def test_database_down_at_successful_payment(shop: Any) -> None:
    alice, tea = await invoice_in_hand(shop.client, shop.db)
    outage = DatabaseOutage(shop.db)

    async def database_goes_down() -> None:
        outage.down = True

    at_payment_delivery(shop.emulator, database_goes_down)
    result = await alice.pay()
    assert result["status"] == "paid"
    # The buyer hears the truth at once: Telegram has the money, the shop is writing it down.
    await wait_bot_says(shop.client, alice, RECORDING_NOTE)
    assert outage.failures > 0
    assert not any(PAID_NOTE in text for text in await bot_texts(alice))
    [spooled] = _inbox(shop).pending()
    assert (
        spooled.update["message"]["successful_payment"]["telegram_payment_charge_id"]
        == (result["telegram_payment_charge_id"])
    )
    outage.down = False  # the database is back: the retries record it, the outbox says "paid"
    await assert_paid_once(shop.client, shop.db, alice, tea)
    assert _inbox(shop).pending() == []
    async with shop.db.read() as session:
        payment = (await session.execute(select(Payment))).scalar_one()
    assert payment.telegram_charge_id == result["telegram_payment_charge_id"]


class _RecorderDown:
    """store.payments.record_payment fails while `down` (the rest of the database works)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.down = True
        self.calls = 0
        original = payments.record_payment

        async def record(*args: Any, **kwargs: Any) -> payments.PaymentOutcome:
            self.calls += 1
            if self.down:
                raise ConnectionError("database unreachable (injected)")
            return await original(*args, **kwargs)

        monkeypatch.setattr(payments, "record_payment", record)


async def _expiry_job(shop: Any) -> int:
    async with shop.db.read() as session:
        job = (await session.execute(select(ScheduledJob).where(ScheduledJob.kind == "order_expiry"))).scalar_one()
    return int(job.id)


async def test_reservation_holds_while_the_payment_waits_in_the_inbox(
    shop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, tea = await invoice_in_hand(shop.client, shop.db)
    recorder = _RecorderDown(monkeypatch)
    await alice.pay()
    await wait_bot_says(shop.client, alice, RECORDING_NOTE)
    # The reservation runs out while the payment cannot be recorded: the order must not expire.
    assert await shop.app.scheduler.fire(await _expiry_job(shop))
    async with shop.db.read() as session:
        order = (await session.execute(select(Order))).scalar_one()
        job = await session.get(ScheduledJob, await _expiry_job(shop))
    assert order.status == "pending_payment" and await stock_of(shop.db, tea) == STOCK - BOUGHT
    assert job is not None and job.status == "pending"  # held a little longer, not forgotten
    recorder.down = False
    await assert_paid_once(shop.client, shop.db, alice, tea)
    assert recorder.calls >= 2


async def test_late_card_payment_for_an_expired_order_goes_to_the_admins(
    shop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    alice, tea = await invoice_in_hand(shop.client, shop.db)
    recorder = _RecorderDown(monkeypatch)
    await alice.pay()
    await wait_bot_says(shop.client, alice, RECORDING_NOTE)
    # Another process (which cannot see this one's inbox) expires the order meanwhile: the goods go back.
    async with shop.db.tx() as session:
        await orders.transition(session, 1, orders.EXPIRED, "system", from_statuses=orders.UNPAID)
    assert await stock_of(shop.db, tea) == STOCK
    recorder.down = False
    await wait_bot_says(shop.client, alice, "We will refund it to your card")
    notice = await wait_bot_says(shop.client, ada, "Refund it with the payment provider")
    assert "order #1" in (notice.text or "") and "¥50.00" in (notice.text or "")
    [task] = await payments.pending_refunds(shop.db)
    assert (task.order_id, task.amount, task.method) == (1, 5000, "card")
    assert _inbox(shop).pending() == []
    texts = await bot_texts(alice)
    assert not any("Nothing was charged" in text or PAID_NOTE in text for text in texts), texts
