"""End to end through the emulator: the real bot, checkout to paid, in both languages."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from bot.callbacks.admin import AdminOrderCB
from bot.callbacks.orders import OrderCB
from bot.emulator.client import MessageView, UserHandle
from store import payments
from tests.orders.helpers import fill_cart, last_text, make_product, stock_of


async def _bot_says(user: UserHandle, needle: str, timeout: float = 5.0) -> MessageView:
    """Wait for a bot message containing `needle` (outbox notifications arrive in the background)."""

    async def find() -> MessageView | None:
        for message in reversed(await user.messages()):
            if message.from_bot and needle in (message.text or message.caption or ""):
                return message
        return None

    found: MessageView = await user.sb.wait_for(find, timeout=timeout)
    return found


async def _shopper(shop: Any, name: str = "Alice", lang: str = "en", *, fast: bool = True) -> UserHandle:
    if fast:
        # The test types far faster than a person (one bot message per action still holds; see test_one_reply).
        await shop.client.set_flood_limits(False)
    user: UserHandle = await shop.client.user(name, lang=lang)
    await user.send("/start")
    return user


async def _shopper_with_tea(
    shop: Any, quantity: int = 1, name: str = "Alice", lang: str = "en"
) -> tuple[UserHandle, int]:
    """A shopper (Alice unless named), with `quantity` of a ¥25.00 tea (5 in stock) in the cart."""
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    shopper = await _shopper(shop, name, lang=lang)
    await fill_cart(shop.db, shopper.id, {tea: quantity})
    return shopper, tea


async def test_pickup_card_checkout_to_paid(shop: Any) -> None:
    alice, tea = await _shopper_with_tea(shop, 2)
    await alice.send("/checkout")
    assert "How would you like" in await last_text(alice)
    await alice.tap("Pick up: Central Store")
    summary = await alice.last_message()
    assert summary is not None and "Order summary" in (summary.text or "")
    assert "¥50.00" in (summary.text or "") and "Delivery" not in (summary.text or "").split("Total")[0]
    assert "(09:00-21:00 UTC+8)" in (summary.text or ""), "opening hours name the zone they are in"
    await alice.tap("by card")
    assert await stock_of(shop.db, tea) == 3
    invoice = await alice.last_message()
    assert invoice is not None and invoice.invoice is not None
    assert invoice.invoice["currency"] == "CNY" and invoice.invoice["total_amount"] == 5000
    result = await alice.pay()
    assert result["status"] == "paid", result
    await _bot_says(alice, "Payment received")
    await alice.send("/orders")
    listing = await alice.last_message()
    assert listing is not None
    assert any("Paid" in b.text for row in listing.buttons for b in row)
    await alice.tap("Paid")
    detail = await alice.last_message()
    assert detail is not None and "Order #" in (detail.text or "") and "— ✅ Paid" in (detail.text or "")
    assert "Central Store" in (detail.text or "")


@pytest.mark.parametrize("share", [True, False])
async def test_delivery_with_contact(shop: Any, share: bool) -> None:
    alice, tea = await _shopper_with_tea(shop)
    await alice.send("/checkout")
    await alice.tap("Delivery to my address")
    assert "recipient's name" in await last_text(alice)
    await alice.send_sticker()
    assert "Please type the recipient's name" in await last_text(alice)
    await alice.send("Alice Liddell")
    phone_prompt = await alice.last_message()
    assert phone_prompt is not None and phone_prompt.reply_keyboard is not None
    await alice.send("call me maybe")
    assert "not a valid phone number" in await last_text(alice)
    if share:
        await alice.press("Share my phone")
    else:
        await alice.send("+86 138 0013 8000")
    await alice.send("abc")
    assert "full address" in await last_text(alice)
    await alice.send("1 Rabbit Hole Lane, Flat 2")
    summary = await alice.last_message()
    text = summary.text if summary else ""
    assert "Delivery: ¥8.00" in (text or "") and "Rabbit Hole" in (text or "") and "¥33.00" in (text or "")
    await alice.tap("by card")
    assert (await alice.pay())["status"] == "paid"
    await _bot_says(alice, "Payment received")
    # Next time the saved details are offered.
    await fill_cart(shop.db, alice.id, {tea: 1})
    await alice.send("/checkout")
    await alice.tap("Delivery to my address")
    offer = await alice.last_message()
    assert offer is not None and "Rabbit Hole" in (offer.text or "")
    await alice.tap("Use these details")
    assert "Order summary" in await last_text(alice)


async def _checkout_pickup(user: UserHandle, pay_label: str) -> None:
    await user.send("/checkout")
    await user.tap("Pick up: Central Store")
    await user.tap(pay_label)


async def _order_rows(shop: Any) -> list[Any]:
    from sqlalchemy import select

    from store.models import Order

    async with shop.db.read() as session:
        return list((await session.execute(select(Order).order_by(Order.id))).scalars())


async def test_duplicate_payment_update_credits_once(shop: Any) -> None:
    alice, _tea = await _shopper_with_tea(shop)
    await _checkout_pickup(alice, "by card")
    result = await alice.pay(duplicate=True)
    assert result["status"] == "paid"
    await _bot_says(alice, "Payment received")
    await shop.client.settle()
    from sqlalchemy import select

    from store.models import Payment

    async with shop.db.read() as session:
        rows = list((await session.execute(select(Payment))).scalars())
    assert len(rows) == 1 and rows[0].telegram_charge_id == result["telegram_payment_charge_id"]
    paid_notes = [m for m in await alice.messages() if m.from_bot and "Payment received" in (m.text or "")]
    assert len(paid_notes) == 1


async def test_expired_order_refuses_pre_checkout_and_returns_stock(shop: Any) -> None:
    alice, tea = await _shopper_with_tea(shop, 2)
    await _checkout_pickup(alice, "by card")
    assert await stock_of(shop.db, tea) == 3
    from sqlalchemy import select

    from store.models import ScheduledJob

    async with shop.db.read() as session:
        job = (await session.execute(select(ScheduledJob).where(ScheduledJob.kind == "order_expiry"))).scalar_one()
    assert await shop.app.scheduler.fire(job.id)
    assert await stock_of(shop.db, tea) == 5
    await _bot_says(alice, "expired before it was paid")
    result = await alice.pay()
    assert result["status"] == "rejected" and "expired" in (result["error"] or "")
    assert (await _order_rows(shop))[0].status == "expired"


async def test_reservation_expires_by_itself(shop: Any) -> None:
    """The scheduler (not the test) fires the expiry when the reservation runs out."""
    from datetime import timedelta

    from sqlalchemy import update

    from store.models import ScheduledJob, utcnow

    alice, tea = await _shopper_with_tea(shop)
    await _checkout_pickup(alice, "by card")
    async with shop.db.tx() as session:
        await session.execute(update(ScheduledJob).values(run_at=utcnow() - timedelta(seconds=1)))
    # The periodic sweep picks up the due row (0.2 s in tests).
    await shop.client.wait_for(lambda: _stock_is(shop, tea, 5), timeout=5)
    assert (await _order_rows(shop))[0].status == "expired"


async def _stock_is(shop: Any, product_id: int, value: int) -> bool:
    return await stock_of(shop.db, product_id) == value


async def test_stars_for_digital_products_and_admin_refund(shop: Any) -> None:
    from tests.conftest import ADMIN_ID

    ebook = await make_product(shop.db, "EBOOK", price=1999, stock=100, digital=True, stars=50)
    alice = await _shopper(shop)
    await fill_cart(shop.db, alice.id, {ebook: 2})
    await alice.send("/checkout")
    summary = await alice.last_message()
    assert summary is not None and "Order summary" in (summary.text or "")  # digital: no delivery question
    assert "⭐ 100" in (summary.text or "")
    await alice.tap("Pay ⭐ 100")
    invoice = await alice.last_message()
    assert invoice is not None and invoice.invoice is not None
    assert (invoice.invoice["currency"], invoice.invoice["total_amount"]) == ("XTR", 100)
    assert (await alice.pay())["status"] == "paid"
    await _bot_says(alice, "Payment received")
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/admin")
    await ada.tap("Orders")
    await ada.tap("Paid, to ship")
    await ada.tap("#1")
    await ada.tap("Refund")
    await ada.tap("Yes, refund")
    calls = await shop.client.calls("refundStarPayment")
    assert len(calls) == 1 and calls[0]["ok"]
    assert (await _order_rows(shop))[0].status == "refunded"
    await _bot_says(alice, "has been refunded")

    assert await payments.pending_refunds(shop.db) == []


async def test_pay_on_pickup_then_admin_hands_over(shop: Any) -> None:
    from tests.conftest import ADMIN_ID

    alice, tea = await _shopper_with_tea(shop)
    await _checkout_pickup(alice, "on pickup")
    confirmation = await alice.last_message()
    assert confirmation is not None and "is confirmed" in (confirmation.text or "")
    assert confirmation.invoice is None
    assert (await _order_rows(shop))[0].status == "confirmed" and await stock_of(shop.db, tea) == 4
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/admin")
    await ada.tap("Orders")
    await ada.tap("Pickup orders")
    await ada.tap("#1")
    await ada.tap("Picked up and paid")
    assert (await _order_rows(shop))[0].status == "delivered"
    await _bot_says(alice, "was picked up")


async def test_admin_marks_shipped_and_buyer_is_notified(shop: Any) -> None:
    from tests.conftest import ADMIN_ID

    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    alice = await _shopper(shop, "李雷", lang="zh-hans")
    await fill_cart(shop.db, alice.id, {tea: 1})
    await alice.send("/checkout")
    assert "您希望如何收货" in await last_text(alice)
    await alice.tap("送货上门")
    await alice.send("李雷")
    await alice.send("13800138000")
    await alice.send("花园路88号3栋2单元")
    await alice.tap("银行卡支付")
    assert (await alice.pay())["status"] == "paid"
    await _bot_says(alice, "支付成功")
    bob = await _shopper(shop, "Bob")
    await bob.send("/admin")
    assert "not allowed" in await last_text(bob)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/admin")
    await ada.tap("Orders")
    await ada.tap("Paid, to ship")
    await ada.tap("#1")
    view = await ada.last_message()
    # "13800138000" was typed as dialled in China: a Chinese mobile, +86.
    assert view is not None and "+8613800138000" in (view.text or "") and "花园路" in (view.text or "")
    await ada.tap("Mark shipped")
    assert (await _order_rows(shop))[0].status == "shipped"
    note = await _bot_says(alice, "已发货")
    assert note.buttons and "查看订单" in note.buttons[0][0].text
    await ada.tap("Mark delivered")
    assert (await _order_rows(shop))[0].status == "delivered"
    # An old "Mark shipped" button (forged or stale) is refused: illegal transition, nothing changes.
    calls = await _forged_tap(shop, ADMIN_ID, AdminOrderCB(action="ship", order_id=1).pack())
    answers = [params for name, params in calls if name == "answerCallbackQuery"]
    assert answers and "cannot change" in answers[0]["text"]
    assert (await _order_rows(shop))[0].status == "delivered"
    # Non-admins cannot use admin buttons even with valid data.
    calls = await _forged_tap(shop, bob.id, AdminOrderCB(action="ship", order_id=1).pack())
    assert next(p for n, p in calls if n == "answerCallbackQuery")["text"] == "You are not allowed to do that."


async def test_stale_and_forged_buttons_are_refused(shop: Any) -> None:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    alice = await _shopper(shop)
    mallory = await _shopper(shop, "Mallory")
    await fill_cart(shop.db, alice.id, {tea: 1})
    await alice.send("/checkout")
    old = await alice.last_message()
    await alice.send("/checkout")  # a new checkout: the first message's buttons are stale
    result = await alice.tap("Pick up: Central Store", message=old)
    assert result.toast is not None and "out of date" in (result.toast.text or "")
    await alice.tap("Pick up: Central Store")
    await alice.tap("by card")
    # A second tap on the same summary does not place a second order.
    summary = [m for m in await alice.messages() if m.from_bot and "Order #1 is placed" in (m.text or "")]
    assert summary
    assert len(await _order_rows(shop)) == 1
    # Mallory forges callback data naming Alice's order: the real dispatcher refuses it.
    for action in ("cancel_yes", "view", "pay"):
        calls = await _forged_tap(shop, mallory.id, OrderCB(action=action, order_id=1).pack())
        answers = [params for name, params in calls if name == "answerCallbackQuery"]
        assert answers and "not found" in answers[0]["text"], calls
        assert not [name for name, _ in calls if name in ("SendInvoice", "EditMessageText")]
    assert (await _order_rows(shop))[0].status == "pending_payment"
    assert await stock_of(shop.db, tea) == 4


_FORGED_IDS = itertools.count(10**9)


async def _forged_tap(shop: Any, user_id: int, data: str) -> list[tuple[str, dict[str, Any]]]:
    """Feed a callback query with hand-made data straight to the bot's dispatcher (Telegram calls stubbed)."""
    from datetime import UTC, datetime

    from aiogram.types import CallbackQuery, Chat, Message, Update, User

    from tests.stubs import stub_bot

    bot, session = stub_bot()
    chat = Chat(id=user_id, type="private")
    message = Message(message_id=1, date=datetime.now(UTC), chat=chat, text="x")
    query = CallbackQuery(
        id="forged",
        from_user=User(id=user_id, is_bot=False, first_name="M"),
        chat_instance="1",
        data=data,
        message=message,
    )
    await shop.app.dp.feed_update(bot, Update(update_id=next(_FORGED_IDS), callback_query=query))
    return session.sent


async def test_restart_mid_checkout_continues(shop: Any) -> None:
    """Stop the bot in the middle of the delivery details, start a new one on the same database, go on."""

    alice, _tea = await _shopper_with_tea(shop)
    await alice.send("/checkout")
    await alice.tap("Delivery to my address")
    await alice.send("Alice Liddell")
    await shop.restart_bot()  # the old process stops and closes everything; a new one starts from the settings
    await alice.press("Share my phone")
    assert "delivery address" in await last_text(alice)
    await alice.send("1 Rabbit Hole Lane, Flat 2")
    summary = await alice.last_message()
    assert summary is not None and "Alice Liddell" in (summary.text or "") and "Order summary" in (summary.text or "")
    await alice.tap("by card")
    assert (await alice.pay())["status"] == "paid"
    await _bot_says(alice, "Payment received")


async def test_checkout_in_a_group_goes_private(shop: Any) -> None:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    alice = await _shopper(shop)
    group = await shop.client.group("Neighbours", members=[alice], bot_admin=True)
    await fill_cart(shop.db, alice.id, {tea: 1})
    await alice.send("/checkout", chat=group)
    reply = await alice.last_message(chat=group)
    assert reply is not None and "private chat" in (reply.text or "")
    link = reply.buttons[0][0].url or ""
    assert link.startswith("https://t.me/") and "start=co_cart" in link
    await alice.open_deeplink("co_cart")
    await alice.tap("Check out")
    assert "How would you like" in await last_text(alice)


async def test_mydata_and_forgetme(shop: Any) -> None:
    alice, _tea = await _shopper_with_tea(shop)
    await alice.send("/checkout")
    await alice.tap("Delivery to my address")
    await alice.send("Alice Liddell")
    await alice.send("+1 202 555 0123")
    await alice.send("1 Rabbit Hole Lane, Flat 2")
    await alice.tap("by card")
    await alice.send("/mydata")
    export = await alice.last_message()
    assert export is not None and export.document is not None
    data = json.loads(export.document.data)
    assert data["user"]["phone"] == "+12025550123" and data["orders"][0]["address"] == "1 Rabbit Hole Lane, Flat 2"
    await alice.send("/forgetme")
    await alice.tap("No, keep it")
    assert "Nothing was erased" in await last_text(alice)
    await alice.send("/forgetme")
    await alice.tap("Yes, erase my data")
    # The unpaid order may still be paid and delivered: it keeps its details until it is finished.
    assert "1 order is still on the way" in await last_text(alice)
    rows = await _order_rows(shop)
    assert rows[0].address == "1 Rabbit Hole Lane, Flat 2"
    await alice.send("/orders")
    await alice.tap("Awaiting payment")
    await alice.tap("Cancel order")
    await alice.tap("Yes, cancel it")
    rows = await _order_rows(shop)
    assert rows[0].status == "cancelled"
    assert rows[0].phone is None and rows[0].address is None and not rows[0].contact_name
    assert rows[0].total == 3300  # the accounting record stays
    await alice.send("/mydata")
    export = await alice.last_message()
    assert export is not None and export.document is not None
    data = json.loads(export.document.data)
    # /orders brought her back as a customer (no erasure stamp), with nothing of the erased details
    assert data["user"]["phone"] is None and data["orders"][0]["phone"] is None


async def test_one_reply_per_action_under_flood_limits(shop: Any) -> None:
    """With the emulator's flood limits on, a paced shopper gets one message (or edit) per action."""
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    alice = await _shopper(shop, fast=False)
    await fill_cart(shop.db, alice.id, {tea: 1})

    async def bot_messages() -> int:
        return len([m for m in await alice.messages() if m.from_bot])

    for action in ("/checkout", "tap:Pick up: Central Store", "tap:by card"):
        before = await bot_messages()
        if action.startswith("tap:"):
            await alice.tap(action[4:])
        else:
            await alice.send(action)
        after = await bot_messages()
        # The last step edits the summary and sends the invoice (an edit plus one message).
        assert after - before <= 1, action
        await shop.client.advance_clock(1.0)  # the shopper reads for a (Telegram) second before acting again
    assert (await alice.pay())["status"] == "paid"
    await _bot_says(alice, "Payment received")
    errors = [c for c in await shop.client.calls() if not c["ok"]]
    assert errors == [], errors


async def test_orders_detail_pay_again_and_cancel(shop: Any) -> None:
    alice, tea = await _shopper_with_tea(shop, 2)
    await _checkout_pickup(alice, "by card")
    await alice.send("/orders")
    await alice.tap("Awaiting payment")
    detail = await alice.last_message()
    assert detail is not None and "Items reserved until" in (detail.text or "") and "TEA-1" in (detail.text or "")
    await alice.tap("Pay now")
    invoice = await alice.last_message()
    assert invoice is not None and invoice.invoice is not None and invoice.invoice["total_amount"] == 5000
    await alice.send("/orders")
    await alice.tap("Awaiting payment")
    await alice.tap("Cancel order")
    question = await alice.last_message()
    assert question is not None and "Cancel order #1?" in (question.text or "")
    await alice.tap("No, keep it")
    assert (await _order_rows(shop))[0].status == "pending_payment"
    await alice.tap("Cancel order")
    result = await alice.tap("Yes, cancel it")
    assert result.toast is not None and "cancelled" in (result.toast.text or "")
    assert (await _order_rows(shop))[0].status == "cancelled" and await stock_of(shop.db, tea) == 5
    view = await alice.last_message()
    assert view is not None and "Cancelled" in (view.text or "")
    assert not any("Cancel order" in b.text for row in view.buttons for b in row)
    # The cancelled order's invoice is withdrawn from the chat; a payment sheet another device still had open is
    # refused at pre-checkout.
    assert not [m for m in await alice.messages() if m.invoice is not None]
    await alice.pre_checkout("CNY", 5000, payments.invoice_payload(1))
    await shop.client.settle()
    (answer,) = [c for c in await shop.client.calls("answerPreCheckoutQuery")][-1:]
    assert str(answer["params"].get("ok")).lower() == "false"
    assert "cannot be paid" in str(answer["params"].get("error_message"))


async def test_late_star_payment_is_refunded(shop: Any) -> None:
    """A Stars payment for an order that expired meanwhile is recorded and refunded through Telegram."""
    from datetime import UTC, datetime

    from aiogram.types import Chat, Message, SuccessfulPayment, Update, User

    from tests.stubs import stub_bot

    ebook = await make_product(shop.db, "EBOOK", price=1999, stock=10, digital=True, stars=50)
    alice = await _shopper(shop)
    await fill_cart(shop.db, alice.id, {ebook: 1})
    await alice.send("/checkout")
    await alice.tap("Pay ⭐ 50")
    await alice.send("/orders")
    await alice.tap("Awaiting payment")
    await alice.tap("Cancel order")
    await alice.tap("Yes, cancel it")
    bot, session = stub_bot()
    paid = SuccessfulPayment(
        currency="XTR",
        total_amount=50,
        invoice_payload=payments.invoice_payload(1),
        telegram_payment_charge_id="stxLATE",
        provider_payment_charge_id="",
    )
    message = Message(
        message_id=99,
        date=datetime.now(UTC),
        chat=Chat(id=alice.id, type="private"),
        from_user=User(id=alice.id, is_bot=False, first_name="Alice"),
        successful_payment=paid,
    )
    for update_id in (next(_FORGED_IDS), next(_FORGED_IDS)):  # delivered twice: refunded once
        await shop.app.dp.feed_update(bot, Update(update_id=update_id, message=message))
    refunds = [params for name, params in session.sent if name == "refundStarPayment"]
    assert refunds == [{"user_id": alice.id, "telegram_payment_charge_id": "stxLATE"}]
    assert await payments.pending_refunds(shop.db) == []
    rows = await orders_payments(shop)
    assert [(p.status, p.amount) for p in rows] == [("refunded", 50)]
    await _bot_says(alice, "we refunded your Stars")


async def orders_payments(shop: Any) -> list[Any]:
    from store import orders

    return await orders.payments_of(shop.db, 1)


async def test_admin_stock_and_stats(shop: Any) -> None:
    from tests.conftest import ADMIN_ID

    await make_product(shop.db, "TEA-1", price=2500, stock=5)
    ada = await _shopper(shop, "Ada")
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/admin")
    await ada.tap("Stock")
    await ada.send("TEA-1 plus five")
    assert "Please send a SKU" in await last_text(ada)
    await ada.send("NOPE-9 +5")
    assert "no product with SKU NOPE-9" in await last_text(ada)
    await ada.send("TEA-1 +5")
    assert "Stock of TEA-1 is now 10" in await last_text(ada)
    await ada.send("/stock TEA-1 -30")
    assert "cannot go below zero" in await last_text(ada)
    await ada.send("/stock TEA-1 -3")
    assert "is now 7" in await last_text(ada)
    alice = await _shopper(shop)
    await alice.send("/stock TEA-1 +100")
    assert "not allowed" in await last_text(alice)
    await fill_cart(shop.db, alice.id, {1: 2})
    await _checkout_pickup(alice, "by card")
    assert (await alice.pay())["status"] == "paid"
    await ada.send("/admin")
    await ada.tap("Stats")
    stats = await ada.last_message()
    assert stats is not None
    assert "Orders placed: 1" in (stats.text or "") and "Revenue: ¥50.00" in (stats.text or "")


@pytest.mark.seeded
async def test_seeded_shop_browse_add_checkout_pay(shop: Any) -> None:
    """The whole path a shopper takes with the demo catalog: catalog -> add -> cart -> checkout -> paid."""
    alice = await _shopper(shop)
    await alice.send("/catalog")
    await alice.tap(row=0, col=0)  # the first category
    await alice.tap(row=0, col=0)  # its first product
    await alice.tap("to cart")
    await alice.send("/cart")
    cart = await alice.last_message()
    assert cart is not None and "Your cart" in (cart.text or "")
    await alice.tap("Checkout")
    assert "How would you like" in await last_text(alice)
    await alice.tap("Pick up: North Community Locker")
    summary = await alice.last_message()
    assert summary is not None and "North Community Locker" in (summary.text or "")
    await alice.tap("by card")
    assert (await alice.pay())["status"] == "paid"
    await _bot_says(alice, "Payment received")
    await alice.send("/orders")
    listing = await alice.last_message()
    assert listing is not None and "Paid" in listing.buttons[0][0].text
