"""Telegram sells digital goods for Stars only, and a group buy is paid by card (or on pickup): so a group buy of a
digital product is refused. The leader's wizard never offers one (its lists leave them out), and a leader who
types one's SKU or name, or taps an old button for one, is told why in their language; the store refuses to
publish one whatever the caller (both databases). End to end through the emulator."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bot.callbacks.groupbuy import WizardCB
from bot.emulator.client import MessageView, UserHandle
from bot.sandbox import Stack
from store import groupbuy, users
from store.db import Database
from store.errors import DomainError
from store.models import Product
from tests.delivery.helpers import product_id, shopper, text_of
from tests.groupbuy.helpers import make_product, make_users, publish


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [b.text for row in message.buttons for b in row]


async def _leader(shop: Stack, name: str = "Lena", lang: str = "en") -> UserHandle:
    lena = await shopper(shop, name, lang=lang)
    await users.grant_role(shop.db, lena.id, "leader")
    group = await shop.client.group(f"{name}'s street", members=[lena], bot_admin=True)
    await lena.send("/groupbuy", chat=group)
    return lena


@pytest.mark.seeded
async def test_the_wizard_refuses_digital_products(shop: Stack) -> None:
    lena = await _leader(shop)
    picker = await lena.last_message()
    assert "Which product" in text_of(picker), text_of(picker)  # type: ignore[arg-type]
    shown = labels(picker)
    assert not any("gift card" in b.lower() or "e-book" in b.lower() or "VIP" in b for b in shown), shown

    await lena.send("DIG-GIFT50")  # its SKU
    refused = await lena.last_message()
    assert "«Shop gift card, ¥50» is a digital product" in text_of(refused)  # type: ignore[arg-type]
    assert "digital" in text_of(refused) and "Telegram Stars" in text_of(refused), text_of(refused)  # type: ignore[arg-type]
    await lena.send("gift card")  # its name: every match is digital
    refused = await lena.last_message()
    assert "digital" in text_of(refused) and "Telegram Stars" in text_of(refused), text_of(refused)  # type: ignore[arg-type]

    # An old (or forged) button for a digital product is refused too, with the same reason.
    gift = await product_id(shop.db, "DIG-GIFT50")
    await lena.tap_data(WizardCB(a="prod", v=str(gift)).pack(), message=picker)

    async def told() -> str | None:
        said = [t.text or "" for t in await lena.toasts()] + [text_of(m) for m in await lena.messages()]
        return next((s for s in said if "digital" in s and "Telegram Stars" in s and "DIG" not in s), None)

    assert len([s for s in [await shop.client.wait_for(told, timeout=5)] if s]) == 1

    # A physical product still goes on to the price tiers.
    await lena.send("FRU-APPLE")
    assert "costs ¥29.90" in text_of(await lena.last_message())  # type: ignore[arg-type]


@pytest.mark.seeded
async def test_the_refusal_is_in_chinese(shop: Stack) -> None:
    li = await _leader(shop, "李雷", lang="zh-hans")
    await li.send("DIG-GIFT50")
    refused = await li.last_message()
    assert "「商城礼品卡 50元」是虚拟商品" in text_of(refused) and "星星" in text_of(refused), text_of(refused)  # type: ignore[arg-type]


async def test_the_store_does_not_publish_a_digital_group_buy(any_db: Database) -> None:
    await make_users(any_db, [1])
    product = await make_product(any_db, stock=10, sku="GB-DIGITAL")
    async with any_db.tx() as session:
        await session.execute(update(Product).where(Product.id == product).values(is_digital=True, stars_price=100))
    with pytest.raises(DomainError) as refused:
        await publish(any_db, product)
    assert refused.value.code == "gb_digital_not_supported"
    assert await groupbuy.open_buys_of(any_db) == []
