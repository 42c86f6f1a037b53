"""Item 6 in the store, on SQLite and PostgreSQL: digital goods are queued exactly once when an order becomes paid
(however often the payment is confirmed), "Send again" queues them anew once per double tap, and the catalog
import/export and the demo seed carry what each digital product hands over."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from store import catalog_io, checkout, delivery, orders, payments, seed
from store.db import Database
from store.errors import DomainError, NotFound
from store.models import Order, OutboxMessage, Product
from tests.orders.helpers import POLICY, card_pickup, fill_cart, make_product, make_users


async def _digital(db: Database, sku: str, kind: str, content: str, *, stars: int = 50) -> int:
    product_id = await make_product(db, sku, price=1000, stock=100, digital=True, stars=stars)
    async with db.tx() as session:
        await session.execute(
            update(Product).where(Product.id == product_id).values(digital_kind=kind, digital_content=content)
        )
    return product_id


async def _rows(db: Database, template: str) -> list[OutboxMessage]:
    async with db.read() as session:
        query = select(OutboxMessage).where(OutboxMessage.template == template).order_by(OutboxMessage.id)
        return list((await session.execute(query)).scalars())


async def _pay(db: Database, user_id: int, order_id: int, amount: int, charge: str) -> payments.PaymentOutcome:
    return await payments.record_payment(
        db,
        payments.IncomingPayment(
            payer_id=user_id,
            payload=payments.invoice_payload(order_id),
            currency="XTR",
            total_amount=amount,
            telegram_charge_id=charge,
        ),
    )


async def _stars_order(db: Database, user_id: int, items: dict[int, int]) -> checkout.PlacedOrder:
    await fill_cart(db, user_id, items)
    return await checkout.place_order(
        db, checkout.CheckoutChoice(user_id=user_id, delivery_method="delivery", payment_method="stars"), POLICY
    )


async def test_goods_are_queued_once_per_paid_order(any_db: Database) -> None:
    await make_users(any_db, [1])
    code = await _digital(any_db, "GIFT", "code", "ABCD-1234\nEFGH-5678", stars=30)
    link = await _digital(any_db, "VIP", "link", "https://example.com/vip", stars=20)
    placed = await _stars_order(any_db, 1, {code: 2, link: 1})
    assert placed.total == 80
    assert await _rows(any_db, delivery.GOODS_TEMPLATE) == [], "nothing is handed over before payment"

    first = await _pay(any_db, 1, placed.order_id, 80, "stx-1")
    again = await _pay(any_db, 1, placed.order_id, 80, "stx-1")  # Telegram confirms the same charge twice
    other = await _pay(any_db, 1, placed.order_id, 80, "stx-2")  # a second charge for a paid order: refunded
    assert (first.kind, again.kind, other.kind) == ("paid", "duplicate", "refund")

    rows = await _rows(any_db, delivery.GOODS_TEMPLATE)
    assert [(r.params["kind"], r.params["content"], r.params["quantity"]) for r in rows] == [
        ("code", "ABCD-1234\nEFGH-5678", 2),
        ("link", "https://example.com/vip", 1),
    ]
    assert [r.params["confirm_payment"] for r in rows] == [True, False], "the first good confirms the payment"
    assert all(r.user_id == 1 and r.chat_id == 1 for r in rows)
    # An all-digital order hears about its payment with its goods, not with "we will tell you when it ships".
    assert [r.params["status"] for r in await _rows(any_db, orders.STATUS_TEMPLATE)] == []
    with pytest.raises(DomainError):
        async with any_db.tx() as session:
            await orders.transition(session, placed.order_id, orders.PAID, "payment")
    assert len(await _rows(any_db, delivery.GOODS_TEMPLATE)) == 2


async def test_mixed_cart_pays_its_digital_line_in_stars_in_a_second_order(any_db: Database) -> None:
    """Telegram's rule: digital goods are paid in Stars only. The card order of a mixed cart holds the physical
    line alone; the digital line stays in the cart and its own Stars order hands it over once paid."""
    await make_users(any_db, [1])
    tea = await make_product(any_db, "TEA", price=2500, stock=5)
    book = await _digital(any_db, "BOOK", "file", "digital/home-cooking-recipes.pdf")
    await fill_cart(any_db, 1, {tea: 1, book: 1})
    placed = await checkout.place_order(any_db, card_pickup(1), POLICY)
    detail = await orders.get_order(any_db, placed.order_id, user_id=1)
    assert [item.sku for item in detail.items] == ["TEA"] and placed.total == 2500
    async with any_db.tx() as session:
        await orders.transition(session, placed.order_id, orders.PAID, "payment")
    assert await _rows(any_db, delivery.GOODS_TEMPLATE) == [], "no digital good rode along on the card order"
    (paid,) = await _rows(any_db, orders.STATUS_TEMPLATE)
    assert paid.params["status"] == "paid" and paid.params["delivery_method"] == "pickup"
    assert paid.params["pickup_code"] and paid.params["pickup_point"] == "central"

    stars = await checkout.place_order(
        any_db, checkout.CheckoutChoice(user_id=1, delivery_method="delivery", payment_method="stars"), POLICY
    )
    assert (stars.currency, stars.total) == ("XTR", 50)
    await _pay(any_db, 1, stars.order_id, 50, "stx-mixed")
    (good,) = await _rows(any_db, delivery.GOODS_TEMPLATE)
    assert good.params["kind"] == "file" and good.params["order_id"] == stars.order_id


async def test_send_again(any_db: Database) -> None:
    await make_users(any_db, [1, 2])
    code = await _digital(any_db, "GIFT", "code", "ABCD-1234")
    placed = await _stars_order(any_db, 1, {code: 1})
    with pytest.raises(DomainError):  # not paid yet
        await delivery.resend(any_db, placed.order_id, 1)
    await _pay(any_db, 1, placed.order_id, 50, "stx-1")
    with pytest.raises(NotFound):
        await delivery.resend(any_db, placed.order_id, 2)
    assert await delivery.resend(any_db, placed.order_id, 1) == 1
    assert await delivery.resend(any_db, placed.order_id, 1) == 0, "a double tap sends once"
    async with any_db.tx() as session:  # half a minute later
        order = await session.get(Order, placed.order_id)
        assert order is not None and order.goods_resent_at is not None
        order.goods_resent_at -= timedelta(seconds=delivery.RESEND_SECONDS + 1)
    assert await delivery.resend(any_db, placed.order_id, 1) == 1
    rows = await _rows(any_db, delivery.GOODS_TEMPLATE)
    assert [r.params["again"] for r in rows] == [False, True, True]
    assert len({r.dedupe_key for r in rows}) == 3
    detail = await orders.get_order(any_db, placed.order_id, user_id=1)
    assert detail.resendable


async def test_catalog_import_and_export_carry_the_digital_content(any_db: Database, tmp_path: Path) -> None:
    (tmp_path / "guide.txt").write_text("how to brew", encoding="utf-8")
    source = tmp_path / "catalog.csv"
    source.write_text(
        "sku,title_en,category,price,is_digital,stars_price,digital_kind,digital_content\n"
        "D-CODE,Gift,digital,10,true,70,,GIFT-0001\n"
        "D-LINK,Course,digital,20,true,140,,https://example.com/course\n"
        "D-FILE,Guide,digital,5,true,35,file,guide.txt\n",
        encoding="utf-8",
    )
    await catalog_io.import_file(any_db, source)
    async with any_db.read() as session:
        stored = {
            sku: (kind, content)
            for sku, kind, content in await session.execute(
                select(Product.sku, Product.digital_kind, Product.digital_content)
            )
        }
    assert stored["D-CODE"] == ("code", "GIFT-0001") and stored["D-LINK"] == ("link", "https://example.com/course")
    kind, content = stored["D-FILE"]
    assert kind == "file" and content is not None and delivery.resolve_file(content) == (tmp_path / "guide.txt")

    exported = await catalog_io.export_text(any_db, "csv")
    again = catalog_io.parse_text(exported, "csv")
    assert {(r.sku, r.digital_kind, r.digital_content) for r in again.rows} == {
        ("D-CODE", "code", "GIFT-0001"),
        ("D-LINK", "link", "https://example.com/course"),
        ("D-FILE", "file", content),
    }


def test_import_refuses_bad_digital_content(tmp_path: Path) -> None:
    text = (
        "sku,title_en,category,price,is_digital,digital_kind,digital_content\n"
        "A,Tea,tea,1,false,,CODE-1\n"
        "B,Gift,digital,1,true,link,not a url\n"
        "C,Book,digital,1,true,file,missing.pdf\n"
        "D,Gift,digital,1,true,voucher,X\n"
        "E,Gift,digital,1,true,code,\n"
    )
    with pytest.raises(catalog_io.ImportRejected) as rejected:
        catalog_io.parse_text(text, "csv", base_dir=tmp_path)
    messages = {e.line: e.message for e in rejected.value.errors}
    assert "only for digital products" in messages[2]
    assert "http(s) link" in messages[3]
    assert "not an existing file" in messages[4]
    assert "must be one of code, link, file" in messages[5]
    assert "needs a digital_content" in messages[6]


async def test_every_demo_digital_product_hands_something_over(any_db: Database) -> None:
    await seed.seed_demo_catalog(any_db)
    async with any_db.read() as session:
        rows = (
            await session.execute(
                select(Product.sku, Product.digital_kind, Product.digital_content).where(Product.is_digital)
            )
        ).all()
    assert len(rows) == 5 and all(kind in delivery.KINDS and content for _, kind, content in rows)
    files = [content for _, kind, content in rows if kind == "file"]
    assert files and all(delivery.resolve_file(content) is not None for content in files)
