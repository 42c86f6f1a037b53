"""An order that expired unpaid for a shopper who never gave contact details (a flash-sale win whose address the
payment form would have asked) says so when opened: it expired unpaid and its items were released. "Erased at
your request" is only for a shopper who used /forgetme. End to end, en and zh."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.emulator.client import UserHandle
from store import orders, scheduling
from store.models import utcnow
from tests.delivery.helpers import bot_says, shopper, text_of
from tests.orders.helpers import make_product


async def _expired_order_without_contact(shop: Any, user: UserHandle, sku: str) -> int:
    product = await make_product(shop.db, sku, price=1990, stock=5)
    async with shop.db.tx() as session:
        order = await orders.create_order(
            session,
            user.id,
            [orders.OrderLine(product, sku, "Tea", "茶", 1990, 1)],
            currency="CNY",
            payment_method="card",
            delivery_method="delivery",
            expires_at=utcnow() + timedelta(minutes=15),
        )
        order_id = order.id
    async with shop.db.read() as session:
        job = next(j.id for j in await scheduling.pending_jobs(session) if j.key == orders.expiry_key(order_id))
    assert await shop.app.scheduler.fire(job)
    return order_id


async def test_expired_order_without_contact_says_it_expired_not_erased(shop: Any) -> None:
    alice = await shopper(shop)
    await _expired_order_without_contact(shop, alice, "TEA-1")
    notice = await bot_says(shop, alice, "expired before it was paid")
    await alice.tap("View order", message=notice)
    detail = text_of(await alice.last_message())  # type: ignore[arg-type]
    assert "Expired" in detail
    assert "at your request" not in detail, "nobody asked for anything to be erased"
    assert "expired unpaid" in detail and "released" in detail


async def test_chinese_expired_order_without_contact(shop: Any) -> None:
    lilei = await shopper(shop, "李雷", lang="zh-hans")
    await _expired_order_without_contact(shop, lilei, "TEA-2")
    notice = await bot_says(shop, lilei, "已过期")
    await lilei.tap("查看订单", message=notice)
    detail = text_of(await lilei.last_message())  # type: ignore[arg-type]
    assert "按您的要求" not in detail
    assert "未付款" in detail and "已释放" in detail


async def test_forgotten_shopper_still_reads_erased_at_their_request(shop: Any) -> None:
    alice = await shopper(shop)
    await _expired_order_without_contact(shop, alice, "TEA-3")
    await bot_says(shop, alice, "expired before it was paid")  # the notice comes first, not under the question
    await alice.send("/forgetme")
    await alice.tap("Yes, erase my data")
    await alice.send("/orders")
    await alice.tap("Expired")
    detail = text_of(await alice.last_message())  # type: ignore[arg-type]
    assert "erased at your request" in detail
