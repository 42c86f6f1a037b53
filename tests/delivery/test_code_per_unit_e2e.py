"""Outside check: buying 3 of the ¥50 gift card delivered ONE code. Each unit bought now gets its own code: one
message with 3 distinct codes from the card's list, "Send my purchase again" sends those same 3, and the next buyer
gets other codes. A link good bought 3 times is one message saying × 3. End to end through the emulator, on SQLite
and PostgreSQL (the demo catalog)."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from bot.emulator.client import UserHandle
from bot.sandbox import Stack
from store.models import Payment, Product
from store.models.orders import DigitalCode
from tests.delivery.helpers import bot_messages, bot_says, orders_of, product_id, shopper, text_of
from tests.orders.helpers import fill_cart
from tests.orders.test_digital_stars_checkout_e2e import seeded_shop  # noqa: F401 (the fixture, both databases)

CODE_RE = re.compile(r"GC50-DEMO-[A-Z0-9]{4}-[A-Z0-9]{4}")


async def _buy(shop: Stack, name: str, cart: dict[str, int], stars: int) -> UserHandle:
    user = await shopper(shop, name)
    await fill_cart(shop.db, user.id, {await product_id(shop.db, sku): qty for sku, qty in cart.items()})
    await user.send("/checkout")
    await user.tap(f"Pay ⭐ {stars:,}")
    assert (await user.pay(duplicate=True))["status"] == "paid"
    return user


async def test_three_gift_cards_deliver_three_distinct_codes_and_resend_all_three(seeded_shop: Stack) -> None:  # noqa: F811
    shop = seeded_shop
    alice = await _buy(shop, "Alice", {"DIG-GIFT50": 3}, 1050)
    message = await bot_says(shop, alice, "Your 3 codes")
    codes = CODE_RE.findall(text_of(message))
    assert len(codes) == 3 and len(set(codes)) == 3, text_of(message)
    assert codes[0] == "GC50-DEMO-7Q4K-M2XP" and "Shop gift card, ¥50 × 3" in text_of(message)
    assert "Payment received" in text_of(message)
    (order,) = await orders_of(shop.db, alice.id)
    assert order.status == "delivered"

    await alice.send("/orders")
    await alice.tap("Delivered")
    again = await alice.tap("Send my purchase again")
    assert again.toast is not None and "Sent again" in (again.toast.text or "")
    resent = await bot_says(shop, alice, "sent again")
    assert CODE_RE.findall(text_of(resent)) == codes, "Send again sends all three, the same three"

    bob = await _buy(shop, "Bob", {"DIG-GIFT50": 2}, 700)
    his = CODE_RE.findall(text_of(await bot_says(shop, bob, "Your 2 codes")))
    assert len(set(his)) == 2 and not set(his) & set(codes), "never a code someone else holds"
    await shop.client.settle()
    assert len(await bot_messages(alice, "GC50-DEMO")) == 2


async def test_a_link_bought_three_times_is_one_message_saying_so(seeded_shop: Stack) -> None:  # noqa: F811
    shop = seeded_shop
    vip = await _buy(shop, "Vic", {"DIG-VIP-MONTH": 3}, 300)
    message = await bot_says(shop, vip, "VIP membership, 1 month × 3")
    assert "https://example.com/groupcart/vip/activate?plan=month" in text_of(message)
    await shop.client.settle()
    assert len(await bot_messages(vip, "VIP membership")) == 1


async def _codes_left(shop: Stack, codes: list[str]) -> None:
    async with shop.db.tx() as session:
        await session.execute(
            update(Product).where(Product.sku == "DIG-GIFT50").values(digital_content="\n".join(codes))
        )


async def test_codes_running_out_is_a_sold_out_never_a_shared_code(seeded_shop: Stack) -> None:  # noqa: F811
    """Two codes left for a buyer of three: pre-checkout refuses before any Star is taken; a payment that gets
    through anyway (it passed pre-checkout just before the codes went) is refunded and its order cancelled."""
    shop = seeded_shop
    await _codes_left(shop, ["GC50-DEMO-AAAA-0001", "GC50-DEMO-AAAA-0002"])
    alice = await shopper(shop, "Alice")
    await fill_cart(shop.db, alice.id, {await product_id(shop.db, "DIG-GIFT50"): 3})
    await alice.send("/checkout")
    await alice.tap("Pay ⭐ 1,050")
    refused = await alice.pay()
    assert refused["status"] == "rejected" and "sold out" in (refused["error"] or ""), refused

    invoice = next(m for m in reversed(await alice.messages()) if m.invoice is not None)
    assert invoice.invoice is not None
    await alice.successful_payment("XTR", 1050, invoice.invoice["payload"])
    sorry = await bot_says(shop, alice, "sold out just before your payment arrived")
    assert "Stars were refunded" in text_of(sorry)
    (order,) = await orders_of(shop.db, alice.id)
    assert order.status == "cancelled"
    async with shop.db.read() as session:
        payment = (await session.execute(select(Payment).where(Payment.order_id == order.id))).scalar_one()
        assert payment.status == "refunded", "the bot gave the Stars back"
        assert list((await session.execute(select(DigitalCode))).scalars()) == [], "no code left half-taken"
    assert not await bot_messages(alice, "GC50-DEMO")
