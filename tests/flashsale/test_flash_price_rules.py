"""A flash sale's price is above zero and below the regular price, and a product is in one scheduled or live sale
at a time, whichever path creates or edits it: a ¥0.00 sale cannot be paid (Telegram refuses the invoice), a
"discount" above the regular price misleads, and two overlapping sales of one product give a shopper the
per-person limit twice. The rules live in the store (store/flashsale/admin.py, rules.check_price); the commands
only pass the admin's values on, so the end-to-end tests here drive them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from store import flashsale
from store.db import Database
from store.errors import DomainError
from store.models import utcnow
from tests.conftest import ADMIN_ID
from tests.flashsale.helpers import live_sale, make_product, product_stock, scheduled_sale
from tests.orders import helpers as orders_helpers


def _spec(sku: str, price: int, starts_in: timedelta, lasts: timedelta = timedelta(hours=1)) -> flashsale.SaleSpec:
    now = utcnow()
    return flashsale.SaleSpec(sku=sku, price=price, stock=1, starts_at=now + starts_in, ends_at=now + starts_in + lasts)


async def _refused(db: Database, spec: flashsale.SaleSpec) -> DomainError:
    with pytest.raises(DomainError) as refused:
        await flashsale.create_sale(db, spec, actor_id=None)
    return refused.value


async def _edit_refused(db: Database, sale_id: int, edit: flashsale.SaleEdit) -> DomainError:
    with pytest.raises(DomainError) as refused:
        await flashsale.edit_sale(db, sale_id, edit, actor_id=None)
    return refused.value


# ---------------------------------------------------------------------------------------------- price


async def test_create_refuses_a_price_of_zero(db: Database) -> None:
    product_id = await make_product(db, "KIWI", price=690, stock=5)
    assert (await _refused(db, _spec("KIWI", 0, timedelta(minutes=10)))).code == "flash_bad_price"
    assert (await _refused(db, _spec("KIWI", -1, timedelta(minutes=10)))).code == "flash_bad_price"
    assert await flashsale.list_sales(db) == []
    assert await product_stock(db, product_id) == 5, "a refused sale takes no units"


async def test_create_refuses_a_price_not_below_the_regular_price(db: Database) -> None:
    await make_product(db, "GRAPE", price=2680, stock=5)
    for price in (2680, 3000):
        refused = await _refused(db, _spec("GRAPE", price, timedelta(minutes=10)))
        assert (refused.code, refused.params) == ("flash_price_not_lower", {"regular": "¥26.80"})
    assert await flashsale.list_sales(db) == []
    sale = await flashsale.create_sale(db, _spec("GRAPE", 2679, timedelta(minutes=10)), actor_id=None)
    assert sale.price == 2679


async def test_edit_refuses_a_price_of_zero_or_not_below_the_regular_price(db: Database) -> None:
    await make_product(db, "KIWI", price=690, stock=5)
    sale = await scheduled_sale(db, "KIWI", stock=2, price=500)
    assert (await _edit_refused(db, sale.id, flashsale.SaleEdit(price=0))).code == "flash_bad_price"
    refused = await _edit_refused(db, sale.id, flashsale.SaleEdit(price=10_000))
    assert (refused.code, refused.params) == ("flash_price_not_lower", {"regular": "¥6.90"})
    assert (await _edit_refused(db, sale.id, flashsale.SaleEdit(price=690))).code == "flash_price_not_lower"
    assert (await flashsale.get_sale(db, sale.id)).price == 500
    assert (await flashsale.edit_sale(db, sale.id, flashsale.SaleEdit(price=450), actor_id=None)).price == 450


async def test_digital_price_must_cost_fewer_stars_than_the_regular_star_price(db: Database) -> None:
    # ¥49.90 of ¥50.00 rounds up to the full 350 ⭐: a winner would pay the regular Star price.
    await orders_helpers.make_product(db, "GIFT", price=5000, stock=10, digital=True, stars=350)
    refused = await _refused(db, _spec("GIFT", 4990, timedelta(minutes=10)))
    assert (refused.code, refused.params) == ("flash_price_not_lower", {"regular": "⭐ 350"})
    assert (await flashsale.create_sale(db, _spec("GIFT", 4000, timedelta(minutes=10)), actor_id=None)).stars == 280


def test_check_price_is_one_rule_for_every_path() -> None:
    flashsale.check_price(1, "CNY", 2, "CNY", None)
    with pytest.raises(DomainError, match="flash_bad_price"):
        flashsale.check_price(0, "CNY", 2, "CNY", None)
    with pytest.raises(DomainError, match="flash_price_not_lower"):
        flashsale.check_price(2, "CNY", 2, "CNY", None)
    with pytest.raises(DomainError, match="flash_price_not_lower"):
        flashsale.check_price(1, "USD", 2, "CNY", None)  # different currencies cannot show a discount


# ---------------------------------------------------------------------------------------------- overlap


async def test_create_refuses_a_sale_overlapping_another_of_the_same_product(any_db: Database) -> None:
    db = any_db
    grapes = await make_product(db, "GRAPE", price=2680, stock=10)
    await make_product(db, "KIWI", price=690, stock=10)
    first = await scheduled_sale(db, "GRAPE", stock=1, price=1990, starts_in=timedelta(minutes=10))
    for starts_in, lasts in (
        (timedelta(minutes=30), timedelta(hours=1)),  # starts inside it
        (timedelta(minutes=5), timedelta(minutes=10)),  # ends inside it
        (timedelta(minutes=5), timedelta(hours=3)),  # around it
        (timedelta(minutes=20), timedelta(minutes=5)),  # within it
    ):
        refused = await _refused(db, _spec("GRAPE", 1990, starts_in, lasts))
        assert refused.code == "flash_overlaps"
        assert refused.params == {"sale_id": first.id, "title_en": "Product GRAPE", "title_zh": "商品 GRAPE"}
    assert [s.id for s in await flashsale.list_sales(db)] == [first.id]
    assert await product_stock(db, grapes) == 9, "a refused sale takes no units"

    # Back to back is not an overlap, and another product is unaffected.
    after = await flashsale.create_sale(db, _spec("GRAPE", 1990, timedelta(minutes=70)), actor_id=None)
    kiwi = await flashsale.create_sale(db, _spec("KIWI", 500, timedelta(minutes=10)), actor_id=None)
    assert after.status == kiwi.status == flashsale.SCHEDULED


async def test_live_sale_counts_and_cancelled_one_does_not(db: Database) -> None:
    await make_product(db, "GRAPE", price=2680, stock=10)
    live = await live_sale(db, "GRAPE", stock=1, price=1990)
    refused = await _refused(db, _spec("GRAPE", 1990, timedelta(minutes=10)))
    assert (refused.code, refused.params["sale_id"]) == ("flash_overlaps", live.id)
    await flashsale.cancel_sale(db, live.id, actor_id=None)
    again = await flashsale.create_sale(db, _spec("GRAPE", 1990, timedelta(minutes=10)), actor_id=None)
    assert again.status == flashsale.SCHEDULED


async def test_edit_refuses_moving_a_sale_onto_another_of_the_same_product(db: Database) -> None:
    await make_product(db, "GRAPE", price=2680, stock=10)
    first = await scheduled_sale(db, "GRAPE", stock=1, price=1990, starts_in=timedelta(minutes=10))
    second = await scheduled_sale(db, "GRAPE", stock=1, price=1990, starts_in=timedelta(hours=2))
    onto = flashsale.SaleEdit(starts_at=first.starts_at + timedelta(minutes=30))
    refused = await _edit_refused(db, second.id, onto)
    assert (refused.code, refused.params["sale_id"]) == ("flash_overlaps", first.id)
    longer = flashsale.SaleEdit(ends_at=second.starts_at + timedelta(minutes=1))
    assert (await _edit_refused(db, first.id, longer)).code == "flash_overlaps"
    assert (await flashsale.get_sale(db, second.id)).starts_at == second.starts_at

    # A sale never overlaps itself: its own times and other fields still change.
    later = second.starts_at + timedelta(minutes=15)
    moved = await flashsale.edit_sale(db, second.id, flashsale.SaleEdit(starts_at=later), actor_id=None)
    assert moved.starts_at == later
    assert (await flashsale.edit_sale(db, first.id, flashsale.SaleEdit(stock=2), actor_id=None)).stock == 2


# ---------------------------------------------------------------------------------------------- end to end


def _text(message: Any) -> str:
    assert message is not None
    return str(message.text or "")


async def test_flash_commands_refuse_bad_prices_in_the_admins_language(shop: Any) -> None:
    await make_product(shop.db, "FRU-KIWI", price=690, stock=5)
    await make_product(shop.db, "FRU-GRAPE", price=2680, stock=5)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")

    await ada.send("/flash_create sku=FRU-KIWI price=0 stock=5 start=now end=+5m limit=1 groups=all")
    assert "Please type the sale price as an amount" in _text(await ada.last_message())
    await ada.send("/flash_create sku=FRU-GRAPE price=30 stock=2 start=+1h end=+2h limit=1 groups=all")
    assert "must be below the regular price (¥26.80)" in _text(await ada.last_message())
    assert await flashsale.list_sales(shop.db) == []

    await ada.send("/flash_create sku=FRU-KIWI price=5 stock=2 start=+1h end=+2h limit=1 groups=all")
    assert "scheduled" in _text(await ada.last_message())
    sale = (await flashsale.list_sales(shop.db))[0]
    await ada.send(f"/flash_edit {sale.id} price=100")
    assert "must be below the regular price (¥6.90)" in _text(await ada.last_message())
    assert (await flashsale.get_sale(shop.db, sale.id)).price == 500


async def test_flash_create_refuses_an_overlapping_sale_in_chinese(shop: Any) -> None:
    await make_product(shop.db, "FRU-GRAPE", price=2680, stock=5)
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang="zh")
    await ada.send("/start")

    await ada.send("/flash_create sku=FRU-GRAPE price=19.90 stock=1 start=+1h end=+2h limit=1 groups=all")
    first = await flashsale.list_sales(shop.db)
    assert len(first) == 1
    await ada.send("/flash_create sku=FRU-GRAPE price=9.90 stock=1 start=+90m end=+3h limit=1 groups=all")
    refusal = _text(await ada.last_message())
    assert f"已有秒杀 #{first[0].id}" in refusal and "商品 FRU-GRAPE" in refusal
    await ada.send("/flash_create sku=FRU-GRAPE price=30 stock=1 start=+3h end=+4h limit=1 groups=all")
    assert "秒杀价必须低于原价（¥26.80）" in _text(await ada.last_message())
    assert [s.id for s in await flashsale.list_sales(shop.db)] == [first[0].id]
