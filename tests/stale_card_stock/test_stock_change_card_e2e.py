"""The outside tester: a product card in a chat refused its Add as "this product changed" after anyone bought
the product (or an admin restocked it), though its title and price were the same: every stock change bumped
the product's version, which the card's buttons carry. Only a change the shopper can see on the card makes its
buttons stale now; the stock is checked live when something is added (sold out is refused as sold out)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.stale_card_stock.helpers import (
    ADD_1,
    ADD_GROUP,
    ADDED,
    ADDED_GROUP,
    LEFT,
    SOLD_OUT,
    SOLD_OUT_LINE,
    STALE,
    admin_reprices,
    admin_restocks,
    another_buys,
    group_card,
    in_cart,
    labels,
    private_card,
    shopper,
    tea,
)

LANGS = ["en", "zh"]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("change", ["bought", "restocked"])
async def test_an_old_private_card_still_adds_after_the_stock_moved(shop: Any, lang: str, change: str) -> None:
    product = await tea(shop)
    alice = await shopper(shop, "Alice", lang)
    card = await private_card(alice)
    assert LEFT[lang].format(n=5) in (card.text or ""), card.text
    if change == "bought":
        await another_buys(shop, product)
    else:
        await admin_restocks(shop, product)

    tapped = await alice.tap(ADD_1[lang], message=card)  # the card as drawn before the stock moved
    assert await in_cart(shop, alice, product) == 1, "the add went ahead"
    assert tapped.toast is not None, tapped
    toast = tapped.toast.text or ""
    assert ADDED[lang] in toast and STALE[lang] not in toast, toast
    assert not tapped.toast.show_alert
    redrawn = await alice.last_message()
    assert redrawn is not None and redrawn.message_id == card.message_id
    left = LEFT[lang].format(n=4 if change == "bought" else 15)
    assert left in (redrawn.text or ""), (left, redrawn.text)  # redrawn with the stock as it is now


async def test_an_old_group_card_adds_for_each_shopper_in_their_language(shop: Any) -> None:
    """A (en) and B (zh) both look at the group's card; Carl buys one in private, an admin restocks: both Adds
    on the card as drawn before go ahead, each answered in the tapper's language."""
    product = await tea(shop)
    anna = await shopper(shop, "Anna", "en")
    bo = await shopper(shop, "Bo", "zh")
    group = await shop.client.group("Tower 2", members=[anna, bo], bot_admin=True)
    card = await group_card(anna, group)
    await another_buys(shop, product, name="Carl")

    tapped = await anna.tap(ADD_GROUP["en"], message=card, chat=group)
    assert tapped.toast is not None and ADDED_GROUP["en"] in (tapped.toast.text or ""), tapped.toast
    assert STALE["en"] not in (tapped.toast.text or "")
    assert await in_cart(shop, anna, product) == 1

    await admin_restocks(shop, product)
    tapped = await bo.tap(ADD_GROUP["en"], message=card, chat=group)  # the card is in the group's language
    assert tapped.toast is not None and ADDED_GROUP["zh"] in (tapped.toast.text or ""), tapped.toast
    assert STALE["zh"] not in (tapped.toast.text or "")
    assert await in_cart(shop, bo, product) == 1


@pytest.mark.parametrize("lang", LANGS)
async def test_a_price_change_still_makes_the_old_card_stale(shop: Any, lang: str) -> None:
    product = await tea(shop)
    alice = await shopper(shop, "Alice", lang)
    card = await private_card(alice)
    assert "¥25.00" in (card.text or "")
    await admin_reprices(shop, 3000)

    tapped = await alice.tap(ADD_1[lang], message=card)
    assert await in_cart(shop, alice, product) == 0, "nothing added at a price the shopper did not see"
    assert tapped.toast is not None and STALE[lang] in (tapped.toast.text or ""), tapped.toast
    assert tapped.toast.show_alert
    redrawn = await alice.last_message()
    assert redrawn is not None and redrawn.message_id == card.message_id and "¥30.00" in (redrawn.text or "")


@pytest.mark.parametrize("lang", LANGS)
async def test_a_price_change_makes_the_old_group_card_stale(shop: Any, lang: str) -> None:
    product = await tea(shop)
    anna = await shopper(shop, "Anna", "en")
    bo = await shopper(shop, "Bo", "zh")
    group = await shop.client.group("Tower 2", members=[anna, bo], bot_admin=True)
    card = await group_card(anna, group)
    await admin_reprices(shop, 3000)
    user = anna if lang == "en" else bo

    tapped = await user.tap(ADD_GROUP["en"], message=card, chat=group)
    assert await in_cart(shop, user, product) == 0
    assert tapped.toast is not None and STALE[lang] in (tapped.toast.text or ""), tapped.toast


@pytest.mark.parametrize("lang", LANGS)
async def test_sold_out_meanwhile_is_refused_as_sold_out(shop: Any, lang: str) -> None:
    product = await tea(shop, stock=1)
    alice = await shopper(shop, "Alice", lang)
    card = await private_card(alice)
    await another_buys(shop, product)  # the last unit

    tapped = await alice.tap(ADD_1[lang], message=card)
    assert await in_cart(shop, alice, product) == 0
    assert tapped.toast is not None, tapped
    toast = tapped.toast.text or ""
    assert SOLD_OUT[lang] in toast and STALE[lang] not in toast, toast
    redrawn = await alice.last_message()
    assert redrawn is not None and redrawn.message_id == card.message_id
    assert SOLD_OUT_LINE[lang] in (redrawn.text or ""), redrawn.text  # the card as it is now
    assert not any(ADD_1[lang] in label for label in labels(redrawn))


async def test_sold_out_meanwhile_on_a_group_card(shop: Any) -> None:
    product = await tea(shop, stock=1)
    anna = await shopper(shop, "Anna", "en")
    bo = await shopper(shop, "Bo", "zh")
    group = await shop.client.group("Tower 2", members=[anna, bo], bot_admin=True)
    card = await group_card(anna, group)
    await another_buys(shop, product, name="Carl")

    tapped = await bo.tap(ADD_GROUP["en"], message=card, chat=group)
    assert await in_cart(shop, bo, product) == 0
    assert tapped.toast is not None and SOLD_OUT["zh"] in (tapped.toast.text or ""), tapped.toast
    assert STALE["zh"] not in (tapped.toast.text or "")
