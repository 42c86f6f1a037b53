"""Outside tester: a Gold member paid ¥8 delivery on a flash unit though their tier promises free delivery. Now
the won message says no fee for a Gold winner and its Delivery button, the /start pay link's choice and the
invoice charge the goods only; a plain member still sees and pays the fee. The real bot and the emulator, English
and Chinese."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from store import orders
from tests.conftest import settings_without_early_access
from tests.delivery.helpers import text_of
from tests.flashsale.test_flash_delivery_fee_e2e import CODES, _labels, _new_invoice, _won
from tests.tier_delivery.helpers import GOLD_SPEND, spent

FEE_LINE = {
    "en": "🚚 Delivery adds ¥8.00 (free from ¥99.00); pick-up is free.",
    "zh": "🚚 送货上门另收运费 ¥8.00（满 ¥99.00 免运费）；自提免运费。",
}
FEE_WORDS = {"en": "¥8.00", "zh": "¥8.00"}
DELIVERY_FREE = {"en": "🚚 Delivery · pay ¥19.90", "zh": "🚚 送货上门 · 支付 ¥19.90"}
DELIVERY_FEE = {"en": "🚚 Delivery · pay ¥27.90", "zh": "🚚 送货上门 · 支付 ¥27.90"}


@pytest.fixture
def settings() -> Settings:
    return settings_without_early_access()


async def _gold(shop: Stack, person: UserHandle) -> None:
    await person.send("/start")
    await shop.client.settle()
    await spent(shop.db, person.id, GOLD_SPEND)


async def _prompt(shop: Stack, person: UserHandle, order_id: int, seen: int) -> MessageView:
    """The delivery or pick-up choice the winner's pay link (/start fsp_<order id>) answers with."""
    await person.send(f"/start fsp_{order_id}")

    async def find() -> MessageView | None:
        for message in reversed(await person.messages()):
            if message.from_bot and message.message_id > seen and message.buttons:
                return message
        return None

    found: MessageView = await shop.client.wait_for(find, timeout=10)
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_gold_winner_sees_and_pays_no_delivery_fee(shop: Stack, lang: str) -> None:
    gold = await shop.client.user("Gil", lang=CODES[lang])
    await _gold(shop, gold)
    note, _sale_id, order_id = await _won(shop, gold, lang)
    assert FEE_WORDS[lang] not in text_of(note), text_of(note)
    labels = _labels(note)
    assert labels[0] == DELIVERY_FREE[lang], labels

    prompt = await _prompt(shop, gold, order_id, note.message_id)
    assert FEE_WORDS[lang] not in text_of(prompt), text_of(prompt)
    assert _labels(prompt)[0] == DELIVERY_FREE[lang], _labels(prompt)

    await gold.tap(DELIVERY_FREE[lang], message=note)
    invoice = await _new_invoice(shop, gold, prompt.message_id)
    assert invoice.invoice["total_amount"] == 1990, invoice.invoice
    order = await orders.get_order(shop.db, order_id)
    assert (order.delivery_method, order.subtotal, order.delivery_fee, order.total) == ("delivery", 1990, 0, 1990)
    assert (await gold.pay(message=invoice))["status"] == "paid"


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_plain_member_still_pays_the_fee(shop: Stack, lang: str) -> None:
    bob = await shop.client.user("Bob", lang=CODES[lang])
    note, _sale_id, order_id = await _won(shop, bob, lang)
    assert FEE_LINE[lang] in text_of(note), text_of(note)
    assert _labels(note)[0] == DELIVERY_FEE[lang], _labels(note)
    await bob.tap(DELIVERY_FEE[lang], message=note)
    invoice = await _new_invoice(shop, bob, note.message_id)
    assert invoice.invoice["total_amount"] == 2790, invoice.invoice
    order = await orders.get_order(shop.db, order_id)
    assert (order.delivery_fee, order.total) == (800, 2790)
