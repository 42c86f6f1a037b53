"""Outside testers: a product card in the private chat did not say how many of the product the shopper's cart
already held, so after the cart was changed in /cart a tap on the card's old Add was answered "Already in your
cart (3)" and the card was redrawn looking exactly as before. A private card now says "In your cart: N" (nothing
when the cart holds none), and keeps it up to date on every redraw. A group card is everyone's: it never shows
one member's cart, even when the tapper has the product in theirs. Real bot and emulator, en and zh."""

from __future__ import annotations

import asyncio

import pytest

from bot.emulator.client import ChatHandle, MessageView, UserHandle
from bot.sandbox import Stack
from bot.tap_guard import WINDOW_SECONDS
from store import cart, catalog

pytestmark = pytest.mark.seeded

# (Telegram language code, the cart line as a card shows it, the Add-1 button, "already in your cart" toast start,
# the Vegetables category, the potatoes' list button start)
LANGS = {
    "en": ("en", "In your cart: {n}", "Add 1", "Already in your cart ({n})", "Vegetables", "Potatoes"),
    "zh": ("zh-hans", "购物车中：{n}", "（1 件）", "已经加入购物车（共 {n} 件）", "时令蔬菜", "土豆"),
}
ANY_CART_LINE = ("In your cart", "购物车中：")


def _text(message: MessageView | None) -> str:
    assert message is not None
    return message.text or message.caption or ""


def _labels(message: MessageView) -> list[str]:
    return [button.text for row in message.buttons for button in row]


def _button_data(message: MessageView, label: str) -> str:
    found = [b.callback_data for row in message.buttons for b in row if label in b.text]
    assert found and found[0], _labels(message)
    return found[0]


async def _now(user: UserHandle, message: MessageView, chat: ChatHandle | None = None) -> MessageView:
    """`message` as the chat shows it now (after edits)."""
    return next(m for m in await user.messages(chat) if m.message_id == message.message_id)


async def _in_cart(shop: Stack, user: UserHandle, sku: str) -> int:
    item = await catalog.get_product_by_sku(shop.db, sku)
    assert item is not None
    return await cart.quantity_in_cart(shop.db, user.id, item.id)


def _no_cart_line(text: str) -> bool:
    return not any(phrase in text for phrase in ANY_CART_LINE)


@pytest.mark.parametrize("sku", ["VEG-POTATO", "FRU-APPLE"])  # a text card and a photo card (caption)
@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_private_card_shows_and_updates_the_cart_count(shop: Stack, lang: str, sku: str) -> None:
    code, line, add1, already, _category, _item = LANGS[lang]
    await shop.client.set_flood_limits(False)
    nina = await shop.client.user("Nina", lang=code)  # never seen: her first message is the product link
    await nina.open_deeplink(f"p_{sku}")
    card = await nina.last_message()
    assert card is not None and _no_cart_line(_text(card)), _text(card)  # nothing in the cart: no line

    added = await nina.tap(add1, message=card)
    assert added.toast is not None and added.toast.text
    assert await _in_cart(shop, nina, sku) == 1
    card = await _now(nina, card)
    assert line.format(n=1) in _text(card), _text(card)

    # The cart changes in /cart (two ➕): the card, drawn before, still says 1 and its Add carries that.
    await nina.send("/cart")
    view = await nina.last_message()
    assert view is not None
    await nina.tap("➕", message=view)
    await nina.tap("➕", message=view)
    assert await _in_cart(shop, nina, sku) == 3

    # The card's Add as drawn before the change: nothing added, the toast says 3 and the card now says 3 too.
    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    old = await nina.tap(add1, message=card)
    await shop.client.settle()
    assert await _in_cart(shop, nina, sku) == 3
    assert old.toast is not None and already.format(n=3) in (old.toast.text or ""), old.toast
    redrawn = await _now(nina, card)
    assert line.format(n=3) in _text(redrawn) and line.format(n=1) not in _text(redrawn), _text(redrawn)

    # A deliberate Add on the redrawn card adds, and the card follows.
    await asyncio.sleep(WINDOW_SECONDS + 0.2)
    await nina.tap(add1, message=redrawn)
    assert await _in_cart(shop, nina, sku) == 4
    assert line.format(n=4) in _text(await _now(nina, card))

    # The line removed in /cart: the card's next redraw (a quantity tap) shows no line at all.
    await nina.send("/cart")
    view = await nina.last_message()
    assert view is not None
    await nina.tap("✖️", message=view)
    assert await _in_cart(shop, nina, sku) == 0
    await nina.tap("➕", message=card)
    after = await _now(nina, card)
    assert _no_cart_line(_text(after)), _text(after)

    # Opening the card again from its link, with some in the cart: the new card says so from the start.
    await nina.tap(add1.replace("1", "2"), message=after)  # the picker is at 2 now
    assert await _in_cart(shop, nina, sku) == 2
    await nina.open_deeplink(f"p_{sku}")
    assert line.format(n=2) in _text(await nina.last_message())


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_group_card_never_shows_the_tappers_cart(shop: Stack, lang: str) -> None:
    code, line, add1, _already, category, item = LANGS[lang]
    await shop.client.set_flood_limits(False)
    olga = await shop.client.user("Olga", lang=code)
    await olga.send("/start")
    group = await shop.client.group("Neighbours", members=[olga], bot_admin=True)

    # Olga has two potatoes in her cart, and her private card says so.
    await olga.open_deeplink("p_VEG-POTATO")
    mine = await olga.last_message()
    assert mine is not None
    await olga.tap("➕", message=mine)
    await olga.tap(add1.replace("1", "2"), message=mine)
    assert await _in_cart(shop, olga, "VEG-POTATO") == 2
    assert line.format(n=2) in _text(await _now(olga, mine))

    # The same product's card in the group, opened by her: no cart line (it is everyone's card).
    await olga.send("/catalog", chat=group)
    listing = await olga.last_message(group)
    assert listing is not None
    await olga.tap(category, message=listing, chat=group)
    await olga.tap(item, message=listing, chat=group)
    card = await _now(olga, listing, group)
    assert "2.5" in _text(card) and _no_cart_line(_text(card)), _text(card)

    # She adds from the group (3 in her cart now); the group card, opened again, still shows no cart.
    added = await olga.tap(message=card, chat=group, row=0, col=0)  # "🛒 Add to cart": one item, no picker
    assert added.toast is not None and added.toast.text
    await shop.client.settle()
    assert await _in_cart(shop, olga, "VEG-POTATO") == 3
    await olga.tap("⬅️", message=card, chat=group)
    await olga.tap(item, message=card, chat=group)
    again = await _now(olga, card, group)
    assert "2.5" in _text(again) and _no_cart_line(_text(again)), _text(again)
    assert all(line.format(n=n) not in _text(again) for n in (2, 3))
