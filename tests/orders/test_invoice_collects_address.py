"""An order created before the buyer gave an address (a group buy or flash sale won in a group) asks
Telegram's payment form for it, and the paid order keeps what the buyer entered."""

from __future__ import annotations

from typing import Any

from bot.emulator.client import UserHandle
from bot.i18n import t
from bot.payments import send_order_invoice
from bot.sandbox import Stack
from store import orders
from tests.orders.helpers import make_product


async def _invoiced_delivery_order(
    shop: Stack, name: str, sku: str, contact: orders.Contact | None = None
) -> tuple[UserHandle, int, dict[str, Any]]:
    """A started buyer, an unpaid ¥50.00 delivery order of theirs with its invoice sent, and the invoice call."""
    buyer = await shop.client.user(name)
    await buyer.send("/start")
    product_id = await make_product(shop.db, sku, price=5000, stock=3)
    async with shop.db.tx() as session:
        order = await orders.create_order(
            session,
            buyer.id,
            [orders.OrderLine(product_id, sku, "Box", "盒子", 5000, 1)],
            currency="CNY",
            payment_method="card",
            delivery_method="delivery",
            source="groupbuy",
            contact=contact,
        )
    await send_order_invoice(shop.app.ctx, buyer.id, await orders.get_order(shop.db, order.id), "en")
    params: dict[str, Any] = (await shop.client.calls("sendInvoice"))[-1]["params"]
    return buyer, order.id, params


async def test_invoice_for_an_order_without_address_collects_it(shop: Stack) -> None:
    buyer, order_id, params = await _invoiced_delivery_order(shop, "Dora", "BOX-1")
    assert params.get("need_shipping_address") in (True, "true")
    await buyer.pay(order_info={"name": "Dora Explorer", "phone_number": "+8613911112222"})
    paid = await orders.get_order(shop.db, order_id)
    assert paid.status == orders.PAID
    assert paid.address is not None and "100 Century Avenue" in paid.address
    assert paid.phone == "+8613911112222"
    assert not any(t("en", "errors.internal") == (m.text or "") for m in await buyer.messages())


async def test_invoice_for_an_order_with_address_asks_nothing(shop: Stack) -> None:
    contact = orders.Contact("Eli", "+8613800000000", "5 Garden Road")
    _buyer, _order_id, params = await _invoiced_delivery_order(shop, "Eli", "BOX-2", contact)
    assert "need_shipping_address" not in params


async def test_phone_from_the_payment_form_is_stored_in_e164(shop: Stack) -> None:
    """The payment form's phone, as the buyer typed it there, is kept in E.164 like one typed at checkout."""
    buyer, order_id, _params = await _invoiced_delivery_order(shop, "Fay", "BOX-3")
    await buyer.pay(order_info={"name": "Fay Wong", "phone_number": "139 1111 2222"})
    paid = await orders.get_order(shop.db, order_id)
    assert paid.status == orders.PAID and paid.phone == "+8613911112222"
