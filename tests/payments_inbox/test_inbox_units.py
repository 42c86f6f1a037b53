"""The spool on its own, and the inbox's handling of a refund that Telegram reports (refunded_payment)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Dispatcher
from aiogram.types import Chat, Message, RefundedPayment, Update, User

from tests.orders.helpers import fill_cart, make_product
from tests.payments_inbox.helpers import wait_bot_says

_FORGED_IDS = itertools.count(900_000)


def test_spool_survives_reopening_and_ignores_redelivery(tmp_path: Path) -> None:
    from bot.payment_spool import PaymentSpool

    path = tmp_path / "inbox.sqlite3"
    spool = PaymentSpool(path)
    update = {"update_id": 1, "message": {"successful_payment": {"telegram_payment_charge_id": "c1"}}}
    assert spool.put("paid:c1", "successful_payment", update, user_id=7, order_id=3, not_before=100.0)
    assert not spool.put("paid:c1", "successful_payment", update, user_id=7, order_id=3, not_before=100.0)
    assert spool.due(50.0) == []
    assert spool.failed("paid:c1", 200.0, "database down") == 1
    spool.close()  # as if the process stopped here

    again = PaymentSpool(path)
    [entry] = again.all()
    assert (entry.key, entry.update, entry.order_id, entry.attempts, entry.last_error) == (
        "paid:c1",
        update,
        3,
        1,
        "database down",
    )
    again.make_all_due(150.0)
    assert [e.key for e in again.due(150.0)] == ["paid:c1"]
    again.remove("paid:c1")
    assert again.all() == [] and again.next_due() is None
    again.close()


def test_polling_still_hands_updates_over_through_process_update() -> None:
    """The spool write before acknowledgement relies on aiogram's polling loop calling `_process_update` for
    each update as it comes out of getUpdates; an aiogram upgrade that drops it must fail here."""
    import inspect

    assert "self._process_update(" in inspect.getsource(Dispatcher._polling)


async def test_refund_reported_by_telegram_refunds_the_paid_order(shop: Any) -> None:
    """A Stars payment refunded outside the shop (Telegram support): the order follows, the buyer is told."""
    from sqlalchemy import select

    from store.models import Order, Payment
    from tests.stubs import stub_bot

    ebook = await make_product(shop.db, "EBOOK", price=1999, stock=10, digital=True, stars=50)
    await shop.client.set_flood_limits(False)
    alice = await shop.client.user("Alice", lang="en")
    await alice.send("/start")
    await fill_cart(shop.db, alice.id, {ebook: 1})
    await alice.send("/checkout")
    await alice.tap("Pay ⭐ 50")
    paid = await alice.pay()
    assert paid["status"] == "paid"
    await wait_bot_says(shop.client, alice, "Payment received")
    bot, _session = stub_bot()
    refund = RefundedPayment(
        currency="XTR",
        total_amount=50,
        invoice_payload="order:1:x",
        telegram_payment_charge_id=paid["telegram_payment_charge_id"],
    )
    message = Message(
        message_id=99,
        date=datetime.now(UTC),
        chat=Chat(id=alice.id, type="private"),
        from_user=User(id=alice.id, is_bot=False, first_name="Alice"),
        refunded_payment=refund,
    )
    for _ in range(2):  # delivered twice: applied once
        await shop.app.dp.feed_update(bot, Update(update_id=next(_FORGED_IDS), message=message))
    async with shop.db.read() as session:
        payment = (await session.execute(select(Payment))).scalar_one()
        order = (await session.execute(select(Order))).scalar_one()
    assert (payment.status, order.status) == ("refunded", "refunded")
    await wait_bot_says(shop.client, alice, "has been refunded")
    notes = [m for m in await alice.messages() if m.from_bot and "has been refunded" in (m.text or "")]
    assert len(notes) == 1
