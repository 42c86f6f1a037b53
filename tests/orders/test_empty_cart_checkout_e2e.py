"""Checking out an empty cart was a dead end: from a group, /checkout -> "Check out in private chat" -> "Ready to
check out your cart?" -> Check out answered only the toast "Your cart is empty" and the button stayed; /checkout
in private answered text with no way on. An empty cart now says so with a Catalog button on every path, and no
Check out button is offered for it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from bot.emulator.client import MessageView
from bot.i18n import t
from bot.sandbox import Stack
from store import cart
from tests.orders.helpers import fill_cart, make_product
from tests.orders.test_checkout_e2e import _shopper


def _labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [b.text for row in message.buttons for b in row]


def _says_empty_with_catalog(message: MessageView | None, lang: str) -> None:
    assert message is not None
    assert t(lang, "cart.empty") in (message.text or ""), message.text
    labels = _labels(message)
    assert t(lang, "cart.catalog") in labels, labels
    assert t(lang, "checkout.continue_button") not in labels and t(lang, "cart.checkout") not in labels, labels


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_group_checkout_with_an_empty_cart_leads_to_the_catalog(shop: Stack, lang: str) -> None:
    pat = await shop.client.user("Pat", lang=lang)  # never started the bot
    group = await shop.client.group("Block 7", members=[pat], bot_admin=True)
    await pat.send("/checkout", chat=group)
    reply = await pat.last_message(group)
    assert reply is not None and reply.buttons and reply.buttons[0][0].url
    payload = parse_qs(urlparse(reply.buttons[0][0].url).query)["start"][0]

    await pat.open_deeplink(payload)  # what tapping "Check out in private chat" does
    _says_empty_with_catalog(await pat.last_message(), lang)
    await pat.tap(t(lang, "cart.catalog"))
    catalog = await pat.last_message()
    assert catalog is not None and t(lang, "cart.empty") not in (catalog.text or ""), "the Catalog button leads on"


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_private_checkout_with_an_empty_cart_offers_the_catalog(shop: Stack, lang: str) -> None:
    alice = await _shopper(shop, "Alice", lang=lang)
    await alice.send("/checkout")
    _says_empty_with_catalog(await alice.last_message(), lang)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_check_out_tapped_after_the_cart_was_emptied(shop: Stack, lang: str) -> None:
    tea = await make_product(shop.db, "TEA-1", price=2500, stock=5)
    alice = await _shopper(shop, "Alice", lang=lang)
    await fill_cart(shop.db, alice.id, {tea: 1})
    await alice.open_deeplink("co_cart")
    ready = await alice.last_message()
    assert ready is not None and t(lang, "checkout.continue_here") in (ready.text or "")
    await cart.clear_cart(shop.db, alice.id)  # emptied meanwhile (another device, the cart screen)
    await alice.tap(t(lang, "checkout.continue_button"), message=ready)
    _says_empty_with_catalog(await alice.last_message(), lang)
