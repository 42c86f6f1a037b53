"""A digital product sells for Telegram Stars only, so every flash-sale screen of one speaks Stars, not yuan:

- the admin's set-up by taps (/flash_new): the price step names the Star price, its discount presets are in
  Stars, a typed price is a number of Stars, and the summary, the confirmation, the list and the sale's screen
  quote Stars; the sale then charges exactly the Stars the admin chose;
- the product card in the private chat during a live sale (the flash price line and its Buy button), as the
  group card already does.

End to end through the emulator. DIG-GIFT50 sells at ¥50.00 or 350 ⭐."""

from __future__ import annotations

import pytest

from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from store import flashsale, scheduling
from tests.conftest import ADMIN_ID
from tests.delivery.helpers import bot_says, text_of
from tests.flashsale.test_flash_e2e import _card

pytestmark = pytest.mark.seeded


def priced(text: str) -> str:
    """The text without the product's own title and description (which name its yuan value)."""
    return text.replace("Shop gift card, ¥50", "").replace("worth ¥50", "")


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [b.text for row in message.buttons for b in row]


async def _fire_start(shop: Stack, sale_id: int) -> None:
    async with shop.db.read() as session:
        start = next(j.id for j in await scheduling.pending_jobs(session) if j.key == flashsale.start_key(sale_id))
    assert await shop.app.scheduler.fire(start)  # type: ignore[union-attr]


async def _admin(shop: Stack) -> UserHandle:
    await shop.client.set_flood_limits(False)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    return ada


async def test_the_admin_sets_up_a_digital_flash_sale_in_stars(shop: Stack) -> None:
    ada = await _admin(shop)
    await ada.send("/flash_new")
    await ada.send("DIG-GIFT50")
    price = await ada.last_message()
    assert "at ⭐ 350" in text_of(price) and "Flash price in Stars" in text_of(price), text_of(price)  # type: ignore[arg-type]
    assert "¥" not in priced(text_of(price)) and "¥" not in priced(" ".join(labels(price)))  # type: ignore[arg-type]
    # The presets: the Star price with the discount, as a winner would pay it.
    assert {"−10% · ⭐ 315", "−20% · ⭐ 280", "−30% · ⭐ 245", "−50% · ⭐ 175"} <= set(labels(price)), labels(price)

    await ada.send("400")  # Stars, not yuan: more than the regular 350 ⭐ is refused, in Stars
    refused = await ada.last_message()
    assert "⭐ 350" in text_of(refused), text_of(refused)  # type: ignore[arg-type]
    await ada.send("300")  # 300 Stars
    for label in ("2", "1", "In 1 h", "1 h", "Next"):
        await ada.tap(label)
    summary = await ada.last_message()
    text = text_of(summary)  # type: ignore[arg-type]
    assert "<b>⭐ 300</b>" in text or "⭐ 300 (regular ⭐ 350)" in text, text
    assert "regular ⭐ 350" in text and "¥" not in priced(text), text
    await ada.tap("Create flash sale")
    created = await ada.last_message()
    assert "⭐ 300" in text_of(created) and "¥" not in priced(text_of(created)), text_of(created)  # type: ignore[arg-type]
    (sale,) = await flashsale.list_sales(shop.db)
    assert sale.stars == 300, (sale.price, sale.stars)

    await ada.send("/flash_list")
    listed = await ada.last_message()
    item = next(label for label in labels(listed) if label.startswith(f"#{sale.id}"))
    assert "⭐ 300" in item and "¥" not in priced(item), item
    await ada.tap(item)
    screen = await ada.last_message()
    assert "⭐ 300" in text_of(screen) and "regular ⭐ 350" in text_of(screen), text_of(screen)  # type: ignore[arg-type]

    # Editing it: a preset tap sets the Star price too.
    await ada.tap("Edit")
    await ada.tap("Price")
    await ada.tap("−50% · ⭐ 175")
    menu = await ada.last_message()
    assert "⭐ 175" in text_of(menu), text_of(menu)  # type: ignore[arg-type]
    await ada.tap("Save")
    assert (await flashsale.get_sale(shop.db, sale.id)).stars == 175

    # The sale charges what the admin chose: the group card and the Buy button quote 175 ⭐.
    alice = await shop.client.user("Alice")
    group = await shop.client.group("Neighbours", members=[alice], bot_admin=True)
    await _fire_start(shop, sale.id)
    card = await _card(alice, group, shop)
    assert labels(card) == ["⚡ Buy now · ⭐ 175"], labels(card)


async def test_the_admin_sees_stars_in_chinese(shop: Stack) -> None:
    await shop.client.set_flood_limits(False)
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang="zh-hans")
    await ada.send("/start")
    await ada.send("/flash_new")
    await ada.send("DIG-GIFT50")
    price = await ada.last_message()
    assert "⭐ 350" in text_of(price) and "¥" not in priced(text_of(price)), text_of(price)  # type: ignore[arg-type]
    assert "−20% · ⭐ 280" in labels(price), labels(price)


async def test_the_private_product_card_quotes_the_flash_price_in_stars(shop: Stack) -> None:
    ada = await _admin(shop)
    await ada.send("/flash_create sku=DIG-GIFT50 price=280 stock=2 start=now end=+2h")
    sale = (await flashsale.list_sales(shop.db))[0]

    async def live() -> bool:
        return (await flashsale.get_sale(shop.db, sale.id)).status == flashsale.LIVE

    await shop.client.wait_for(live, timeout=10)
    alice = await shop.client.user("Alice")
    await alice.send("/start")
    await alice.open_deeplink("p_DIG-GIFT50")
    card = await bot_says(shop, alice, "Flash sale")
    assert "⭐ 280" in text_of(card) and "⭐ 350" in text_of(card), text_of(card)
    assert "¥" not in priced(text_of(card)), text_of(card)
    assert "⚡ Buy now · ⭐ 280" in labels(card), labels(card)

    li = await shop.client.user("李雷", lang="zh-hans")
    await li.send("/start")
    await li.open_deeplink("p_DIG-GIFT50")
    card = await bot_says(shop, li, "⚡")
    assert "⭐ 280" in text_of(card) and "¥" not in priced(text_of(card)), text_of(card)
