"""An old "Add 3 to cart" button is harmless: after an add the card is redrawn (picker back at 1, its buttons
carrying the cart's new count), and a tap on an Add from an older drawing of that card, however late (the tap
guard only merges taps within a second), is answered "already in your cart" and the card redrawn, adding
nothing. A deliberate tap on the redrawn card's Add still adds."""

from __future__ import annotations

import asyncio

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from bot.tap_guard import WINDOW_SECONDS
from store import cart, catalog

pytestmark = pytest.mark.seeded


def _add_button_data(message: MessageView | None, label: str) -> str:
    assert message is not None
    found = [b.callback_data for row in message.buttons for b in row if label in b.text]
    assert found and found[0], [b.text for row in message.buttons for b in row]
    return found[0]


async def _potatoes_in_cart(shop: Stack, user: UserHandle) -> int:
    item = await catalog.get_product_by_sku(shop.db, "VEG-POTATO")
    assert item is not None
    return await cart.quantity_in_cart(shop.db, user.id, item.id)


@pytest.mark.parametrize(
    "lang,add3,add1,toast",
    [
        ("en", "Add 3", "Add 1", "Already in your cart (3)"),
        ("zh-hans", "（3 件）", "（1 件）", "已经加入购物车（共 3 件）"),
    ],
)
async def test_an_old_add_button_does_not_add_again(shop: Stack, lang: str, add3: str, add1: str, toast: str) -> None:
    await shop.client.set_flood_limits(False)
    erin = await shop.client.user("Erin", lang=lang)
    await erin.send("/start")
    await erin.open_deeplink("p_VEG-POTATO")
    await erin.tap("➕")
    await erin.tap("➕")
    card = await erin.last_message()
    old_add = _add_button_data(card, add3)
    await erin.tap(add3)
    assert await _potatoes_in_cart(shop, erin) == 3
    redrawn = await erin.last_message()
    assert redrawn is not None and redrawn.message_id == card.message_id, "the card is redrawn in place"
    assert _add_button_data(redrawn, add1) != old_add

    # The old button again, later than the tap guard's window: e.g. a client that still showed the old drawing.
    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    await erin.tap_data(old_add, message=card)
    await shop.client.settle()
    assert await _potatoes_in_cart(shop, erin) == 3, "an old Add adds nothing"
    answered = (await erin.toasts())[-1].text or ""
    assert toast in answered, answered
    assert add1 in " ".join(b.text for row in (await erin.last_message()).buttons for b in row)

    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    await erin.tap(add1)  # a deliberate tap on the current drawing adds
    assert await _potatoes_in_cart(shop, erin) == 4
    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    await erin.tap_data(old_add, message=card)  # still harmless after another add
    await shop.client.settle()
    assert await _potatoes_in_cart(shop, erin) == 4


async def test_the_carts_plus_means_one_more_than_shown_however_often_it_arrives(shop: Stack) -> None:
    """➕/➖ on the cart carry the quantity the cart showed: a double tap, or the same ➕ arriving late from an
    older drawing, changes the line once (quietly told); ➕ on the redrawn cart adds again."""
    await shop.client.set_flood_limits(False)
    erin = await shop.client.user("Erin")
    await erin.send("/start")
    item = await catalog.get_product_by_sku(shop.db, "VEG-POTATO")
    assert item is not None
    await cart.add_to_cart(shop.db, erin.id, item.id, 2)
    await erin.send("/cart")
    view = await erin.last_message()
    old_plus = _add_button_data(view, "➕")

    await asyncio.gather(*(erin.tap("➕", message=view) for _ in range(2)))
    assert await _potatoes_in_cart(shop, erin) == 3, "a double tap adds one"
    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    await erin.tap_data(old_plus, message=view)  # the older drawing's ➕, past the tap guard's window
    await shop.client.settle()
    assert await _potatoes_in_cart(shop, erin) == 3
    assert "Already done: 3 in your cart now." in ((await erin.toasts())[-1].text or "")
    assert not (await erin.toasts())[-1].show_alert

    await erin.tap("➕", message=view)  # the redrawn cart's ➕: a new intent
    assert await _potatoes_in_cart(shop, erin) == 4
    await erin.tap("➖", message=view)
    assert await _potatoes_in_cart(shop, erin) == 3


@pytest.mark.parametrize("lang,add1,added", [("en", "Add 1", "✅ Added 1"), ("zh-hans", "（1 件）", "✅ 已加入 1 件")])
async def test_an_add_after_the_line_was_removed_elsewhere_adds(shop: Stack, lang: str, add1: str, added: str) -> None:
    """The outside tester: a card drawn while the cart held the product, the line removed in /cart, then the card's
    Add was answered "Already in your cart (0)" and added nothing. A cart that shrank is no double tap."""
    await shop.client.set_flood_limits(False)
    erin = await shop.client.user("Erin", lang=lang)
    await erin.send("/start")
    await erin.open_deeplink("p_VEG-POTATO")
    await erin.tap(add1)
    assert await _potatoes_in_cart(shop, erin) == 1
    card = await erin.last_message()
    assert card is not None
    add_now = _add_button_data(card, add1)  # drawn with one in the cart
    item = await catalog.get_product_by_sku(shop.db, "VEG-POTATO")
    assert item is not None
    await cart.remove_line(shop.db, erin.id, item.id)  # as the ✖️ in /cart does
    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    await erin.tap_data(add_now, message=card)
    await shop.client.settle()
    assert await _potatoes_in_cart(shop, erin) == 1, "the add went ahead"
    answered = (await erin.toasts())[-1].text or ""
    assert added in answered and "(0)" not in answered and "共 0" not in answered, answered
