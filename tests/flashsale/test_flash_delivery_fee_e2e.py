"""Outside check: a flash winner who tapped "🚚 Delivery · pay ¥9.25" paid ¥9.25 with no delivery fee, and the order
showed Subtotal = Total. Now the won message names the fee and each button what it charges (delivery ¥19.90 +
¥8.00, a pick-up point ¥19.90), the delivery invoice charges the fee, switching to a pick-up point before paying
sends an invoice without it, switching back charges it once, the paid order's detail in /orders shows the Delivery
line, and the sale's revenue counts the goods only. Without pick-up points the one Pay button charges the fee too.
The real bot and the emulator, English and Chinese."""

from __future__ import annotations

import asyncio

import pytest

from bot.config import Settings
from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from store import flashsale, orders
from tests.conftest import ADMIN_ID, settings_without_early_access
from tests.delivery.helpers import bot_says, text_of
from tests.flashsale.helpers import make_product
from tests.flashsale.test_flash_e2e import _private_with
from tests.flashsale.test_flash_private_toast_e2e import _card

CODES = {"en": "en", "zh": "zh-hans"}
WON_NEEDLE = {"en": "flash price", "zh": "秒杀价"}
FEE_LINE = {
    "en": "🚚 Delivery adds ¥8.00 (free from ¥99.00); pick-up is free.",
    "zh": "🚚 送货上门另收运费 ¥8.00（满 ¥99.00 免运费）；自提免运费。",
}
DELIVERY = {"en": "🚚 Delivery · pay ¥27.90", "zh": "🚚 送货上门 · 支付 ¥27.90"}
CENTRAL = {"en": "🏪 Pick up: Central Store · pay ¥19.90", "zh": "🏪 自提：中心门店 · 支付 ¥19.90"}
DETAIL_FEE = {"en": "Delivery: ¥8.00", "zh": "运费：¥8.00"}
DETAIL_TOTAL = {"en": "Total: ¥27.90", "zh": "¥27.90"}
PAID = {"en": "Payment received", "zh": "已收到付款"}


async def _won(shop: Stack, person: UserHandle, lang: str) -> tuple[MessageView, int, int]:
    """`person` wins a unit at ¥19.90 on a group card: (their won message, sale id, order id)."""
    await make_product(shop.db, "RICE-1", stock=10)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    group = await shop.client.group("Neighbours", members=[person], bot_admin=True)
    for who in (ada, person):
        await who.send("/start")
    await ada.send("/flash_create sku=RICE-1 price=19.90 stock=3 start=now end=+1h limit=1 groups=all")
    card = await _card(person, group, shop)
    won = await person.tap(message=card, chat=group)
    assert won.toast is not None and won.toast.url, won.toast
    note = await _private_with(person, shop, WON_NEEDLE[lang])
    sale = (await flashsale.list_sales(shop.db))[0]
    order_id = (await flashsale.claims_of(shop.db, sale.id))[0][3]
    assert order_id is not None
    return note, sale.id, int(order_id)


async def _invoices(person: UserHandle) -> list[MessageView]:
    return [m for m in await person.messages() if m.invoice]


async def _new_invoice(shop: Stack, person: UserHandle, seen: int) -> MessageView:
    """The invoice the last tap sent (older ones are withdrawn: the newest is the last invoice in the chat)."""
    before = seen

    async def find() -> MessageView | None:
        sent = [m for m in await person.messages() if m.invoice and m.message_id > before]
        return sent[-1] if sent else None

    found: MessageView = await shop.client.wait_for(find, timeout=10)
    return found


def _labels(message: MessageView) -> list[str]:
    return [b.text for row in message.buttons for b in row]


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_delivery_charges_the_fee_and_pickup_does_not(shop: Stack, lang: str) -> None:
    bob = await shop.client.user("Bob", lang=CODES[lang])
    note, sale_id, order_id = await _won(shop, bob, lang)
    assert FEE_LINE[lang] in text_of(note), text_of(note)
    labels = _labels(note)
    assert labels[0] == DELIVERY[lang] and CENTRAL[lang] in labels, labels

    last = 0
    await bob.tap(DELIVERY[lang], message=note)
    invoice = await _new_invoice(shop, bob, last)
    assert invoice.invoice["total_amount"] == 2790, invoice.invoice
    last = invoice.message_id

    await asyncio.sleep(1.1)  # past the double-tap window: a new choice
    await bob.tap(CENTRAL[lang], message=note)
    invoice = await _new_invoice(shop, bob, last)
    assert invoice.invoice["total_amount"] == 1990, "a pick-up is free"
    last = invoice.message_id

    await asyncio.sleep(1.1)
    await bob.tap(DELIVERY[lang], message=note)
    invoice = await _new_invoice(shop, bob, last)
    assert invoice.invoice["total_amount"] == 2790, "back to delivery: the fee once"
    order = await orders.get_order(shop.db, order_id)
    assert (order.delivery_method, order.subtotal, order.delivery_fee, order.total) == ("delivery", 1990, 800, 2790)

    assert (await bob.pay(message=invoice))["status"] == "paid"
    await shop.client.settle()
    assert (await orders.get_order(shop.db, order_id)).status == orders.PAID
    sale = await flashsale.get_sale(shop.db, sale_id)
    assert (sale.paid, sale.revenue) == (1, 1990), "the sale's revenue is the goods, not the fee"

    await bot_says(shop, bob, PAID[lang])  # the payment notice first: the /orders screen is the last message
    await bob.send("/orders")
    listing = await shop.client.wait_for(lambda: _with_button(bob, f"#{order_id}"), timeout=10)
    await bob.tap(f"#{order_id}", message=listing)
    detail = await shop.client.wait_for(lambda: _message(bob, listing.message_id, DETAIL_FEE[lang]), timeout=10)
    assert DETAIL_TOTAL[lang] in text_of(detail), text_of(detail)


async def _with_button(person: UserHandle, needle: str) -> MessageView | None:
    for message in reversed(await person.messages()):
        if message.from_bot and any(needle in b.text for row in message.buttons for b in row):
            return message
    return None


async def _message(person: UserHandle, message_id: int, needle: str) -> MessageView | None:
    for message in await person.messages():
        if message.message_id == message_id and needle in text_of(message):
            return message
    return None


class TestWithoutPickupPoints:
    """Without pick-up points the won unit is delivered: its one Pay button and invoice charge the fee."""

    @pytest.fixture
    def settings(self) -> Settings:
        return settings_without_early_access(shop={"pickup_points": []})

    @pytest.mark.parametrize(
        ("lang", "pay", "fee"),
        [("en", "💳 Pay ¥27.90", "🚚 Delivery: ¥8.00 (free from ¥99.00)."), ("zh", "💳 支付 ¥27.90", "🚚 运费：¥8.00")],
    )
    async def test_pay_charges_the_fee(self, shop: Stack, lang: str, pay: str, fee: str) -> None:
        bob = await shop.client.user("Bob", lang=CODES[lang])
        note, _sale_id, order_id = await _won(shop, bob, lang)
        assert _labels(note) == [pay] and fee in text_of(note), (_labels(note), text_of(note))
        await bob.tap(pay, message=note)
        invoice = await _new_invoice(shop, bob, 0)
        assert invoice.invoice["total_amount"] == 2790
        await asyncio.sleep(1.1)
        await bob.tap(pay, message=note)  # a second Pay: the fee is not added again
        again = await _new_invoice(shop, bob, invoice.message_id)
        assert again.invoice["total_amount"] == 2790
        assert (await orders.get_order(shop.db, order_id)).total == 2790
