"""A delivery checkout's name step ("Who should receive the order?") had no Cancel button and did not name
/cancel, while the phone step offered Cancel; and "Checkout cancelled. Your cart is still there." left the
shopper with no button. Every typed step now offers a way out, and the cancelled message leads to the cart and
the menu, in both languages."""

from __future__ import annotations

import re

import pytest

from bot.emulator.client import EmulatorError, MessageView, UserHandle
from bot.i18n import t
from bot.sandbox import Stack
from tests.orders.helpers import fill_cart, make_product
from tests.orders.test_checkout_e2e import _shopper

DELIVERY = {"en": "Delivery to my address", "zh": "送货上门"}


async def _at_name_step(shop: Stack, lang: str) -> UserHandle:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    alice = await _shopper(shop, "Alice", lang=lang)
    await fill_cart(shop.db, alice.id, {tea: 1})
    await alice.send("/checkout")
    await alice.tap(DELIVERY[lang])
    return alice


def _labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [b.text for row in message.buttons for b in row]


async def _cancelled_with_cart_and_menu(alice: UserHandle, lang: str) -> None:
    message = await alice.last_message()
    assert message is not None and t(lang, "checkout.cancelled") in (message.text or ""), message
    labels = _labels(message)
    assert t(lang, "menu.cart") in labels and t(lang, "menu.home") in labels, labels
    await alice.tap(t(lang, "menu.cart"))
    cart = await alice.last_message()
    title = re.sub(r"<[^>]+>", "", t(lang, "cart.title"))
    assert cart is not None and title in (cart.text or "") and "TEA-1" in (cart.text or ""), "the cart is still there"


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_name_step_offers_cancel(shop: Stack, lang: str) -> None:
    alice = await _at_name_step(shop, lang)
    prompt = await alice.last_message()
    assert prompt is not None and t(lang, "checkout.ask_name") in (prompt.text or "")
    assert "/cancel" in (prompt.text or ""), prompt.text
    assert t(lang, "checkout.cancel") in _labels(prompt)
    await alice.tap(t(lang, "checkout.cancel"))
    await _cancelled_with_cart_and_menu(alice, lang)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_phone_step_cancel_leads_to_cart_and_menu(shop: Stack, lang: str) -> None:
    alice = await _at_name_step(shop, lang)
    await alice.send("Anna Liddell")
    await alice.press(t(lang, "checkout.cancel_text"))
    await _cancelled_with_cart_and_menu(alice, lang)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_address_step_names_cancel(shop: Stack, lang: str) -> None:
    alice = await _at_name_step(shop, lang)
    await alice.send("Anna Liddell")
    await alice.send("+86 138 0013 8000")
    prompt = await alice.last_message()
    assert prompt is not None and "/cancel" in (prompt.text or ""), prompt
    await alice.send("/cancel")
    await _cancelled_with_cart_and_menu(alice, lang)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_cancel_typed_at_the_phone_step_leads_to_cart_and_menu(shop: Stack, lang: str) -> None:
    """Outside check: /cancel typed at the phone step answered "Checkout cancelled" without the Cart and Menu
    buttons its Cancel button gives (the step's phone keyboard had to go, and a message has one markup). However
    the checkout is cancelled, the answer leads on, and the phone keyboard is gone."""
    alice = await _at_name_step(shop, lang)
    await alice.send("Anna Liddell")
    prompt = await alice.last_message()
    assert prompt is not None and prompt.reply_keyboard, "the phone step shows its keyboard"
    await alice.send("/cancel")
    cancelled = [m for m in await alice.messages() if t(lang, "checkout.cancelled") in (m.text or "")]
    assert len(cancelled) == 1, "one answer to one /cancel"
    with pytest.raises(EmulatorError, match="no reply keyboard"):
        await alice.press(t(lang, "checkout.cancel_text"))
    await _cancelled_with_cart_and_menu(alice, lang)
