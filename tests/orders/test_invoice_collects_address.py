"""An order created before the buyer gave an address (a group buy or flash sale won in a group) asks
Telegram's payment form for it, and the paid order keeps what the buyer entered."""

from __future__ import annotations

from bot.i18n import t
from bot.payments import send_order_invoice
from bot.sandbox import Stack
from store import orders
from tests.orders.helpers import make_product


async def test_invoice_for_an_order_without_address_collects_it(shop: Stack) -> None:
    buyer = await shop.client.user("Dora")
    await buyer.send("/start")
    product_id = await make_product(shop.db, "BOX-1", price=5000, stock=3)
    async with shop.db.tx() as session:
        order = await orders.create_order(
            session,
            buyer.id,
            [orders.OrderLine(product_id, "BOX-1", "Box", "盒子", 5000, 1)],
            currency="CNY",
            payment_method="card",
            delivery_method="delivery",
            source="groupbuy",
        )
    detail = await orders.get_order(shop.db, order.id)
    await send_order_invoice(shop.app.ctx, buyer.id, detail, "en")
    calls = await shop.client.calls("sendInvoice")
    assert calls[-1]["params"].get("need_shipping_address") in (True, "true")
    await buyer.pay(order_info={"name": "Dora Explorer", "phone_number": "+8613911112222"})
    paid = await orders.get_order(shop.db, order.id)
    assert paid.status == orders.PAID
    assert paid.address is not None and "100 Century Avenue" in paid.address
    assert paid.phone == "+8613911112222"
    assert not any(t("en", "errors.internal") == (m.text or "") for m in await buyer.messages())


async def test_invoice_for_an_order_with_address_asks_nothing(shop: Stack) -> None:
    buyer = await shop.client.user("Eli")
    await buyer.send("/start")
    product_id = await make_product(shop.db, "BOX-2", price=5000, stock=3)
    async with shop.db.tx() as session:
        order = await orders.create_order(
            session,
            buyer.id,
            [orders.OrderLine(product_id, "BOX-2", "Box", "盒子", 5000, 1)],
            currency="CNY",
            payment_method="card",
            delivery_method="delivery",
            contact=orders.Contact("Eli", "+8613800000000", "5 Garden Road"),
        )
    await send_order_invoice(shop.app.ctx, buyer.id, await orders.get_order(shop.db, order.id), "en")
    params = (await shop.client.calls("sendInvoice"))[-1]["params"]
    assert "need_shipping_address" not in params
