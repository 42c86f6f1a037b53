"""Cart rules on SQLite and PostgreSQL: stock bounds, per-line maximum, stale versions, and concurrent taps."""

from __future__ import annotations

import asyncio

import pytest

from store import cart, catalog
from store.db import Database
from store.errors import Conflict, DomainError
from store.money import Money
from tests.catalog.helpers import add_products, make_user, product


async def _product_id(db: Database, sku: str) -> int:
    item = await catalog.get_product_by_sku(db, sku)
    assert item is not None
    return item.id


async def test_add_accumulates_and_refuses_more_than_stock(any_db: Database) -> None:
    await add_products(any_db, product("A", stock=5, price=1250))
    user = await make_user(any_db, 1)
    pid = await _product_id(any_db, "A")
    assert (await cart.add_to_cart(any_db, user, pid, 2)).quantity == 2
    assert (await cart.add_to_cart(any_db, user, pid, 3)).quantity == 5
    with pytest.raises(Conflict) as refused:
        await cart.add_to_cart(any_db, user, pid, 1)
    assert refused.value.code == "cart_no_more_stock", "none more to add is not 'at most 0 more'"
    assert refused.value.params == {"stock": 5, "in_cart": 5}
    view = await cart.get_cart(any_db, user)
    assert [(line.product.sku, line.quantity) for line in view.lines] == [("A", 5)]
    assert view.subtotals == (Money(6250, "CNY"),)
    with pytest.raises(DomainError, match="cart_quantity_invalid"):
        await cart.add_to_cart(any_db, user, pid, 0)


async def test_per_line_maximum_and_sold_out(any_db: Database) -> None:
    await add_products(any_db, product("BIG", stock=500), product("GONE", stock=0))
    user = await make_user(any_db, 2)
    with pytest.raises(DomainError) as limit:
        await cart.add_to_cart(any_db, user, await _product_id(any_db, "BIG"), 6, max_per_line=5)
    assert limit.value.code == "cart_line_limit" and limit.value.params == {"max": 5}
    with pytest.raises(Conflict, match="cart_sold_out"):
        await cart.add_to_cart(any_db, user, await _product_id(any_db, "GONE"), 1)
    assert (await cart.get_cart(any_db, user)).empty


async def test_stale_version_and_hidden_product_are_refused(any_db: Database) -> None:
    await add_products(any_db, product("S", stock=9))
    user = await make_user(any_db, 3)
    item = await catalog.get_product_by_sku(any_db, "S")
    assert item is not None
    await cart.add_to_cart(any_db, user, item.id, 1, version=item.version)
    await add_products(any_db, product("S", stock=9, price=999))  # a price change bumps the version
    with pytest.raises(Conflict, match="stale_button"):
        await cart.add_to_cart(any_db, user, item.id, 1, version=item.version)
    with pytest.raises(Conflict, match="stale_button"):
        await cart.change_quantity(any_db, user, item.id, 1, version=item.version)
    await catalog.set_active(any_db, "S", False)
    with pytest.raises(Conflict, match="catalog_product_unavailable"):
        await cart.add_to_cart(any_db, user, item.id, 1)
    line = (await cart.get_cart(any_db, user)).lines[0]
    assert line.quantity == 1 and not line.available
    assert (await cart.get_cart(any_db, user)).subtotals == (), "hidden products do not count"


async def test_change_quantity_bounds(any_db: Database) -> None:
    await add_products(any_db, product("Q", stock=3))
    user = await make_user(any_db, 4)
    pid = await _product_id(any_db, "Q")
    with pytest.raises(Conflict, match="cart_line_gone"):
        await cart.change_quantity(any_db, user, pid, 1)
    await cart.add_to_cart(any_db, user, pid, 1)
    assert (await cart.change_quantity(any_db, user, pid, 1)).quantity == 2
    assert (await cart.change_quantity(any_db, user, pid, 1)).quantity == 3
    with pytest.raises(Conflict, match="cart_no_more_stock"):
        await cart.change_quantity(any_db, user, pid, 1)
    await catalog.adjust_stock(any_db, "Q", -2)  # stock 1, line 3: the line is flagged and lowering jumps to 1
    line = (await cart.get_cart(any_db, user)).lines[0]
    assert line.over_stock
    assert (await cart.change_quantity(any_db, user, pid, -1)).quantity == 1
    with pytest.raises(DomainError, match="cart_quantity_min"):
        await cart.change_quantity(any_db, user, pid, -1)
    assert await cart.quantity_in_cart(any_db, user, pid) == 1


async def test_remove_and_clear(any_db: Database) -> None:
    await add_products(any_db, product("R1"), product("R2"), product("R3"))
    user = await make_user(any_db, 5)
    other = await make_user(any_db, 6)
    for sku in ("R1", "R2", "R3"):
        await cart.add_to_cart(any_db, user, await _product_id(any_db, sku), 1)
    await cart.add_to_cart(any_db, other, await _product_id(any_db, "R1"), 1)
    assert await cart.remove_line(any_db, user, await _product_id(any_db, "R2")) is True
    assert await cart.remove_line(any_db, user, await _product_id(any_db, "R2")) is False
    assert [line.product.sku for line in (await cart.get_cart(any_db, user)).lines] == ["R1", "R3"]
    assert await cart.clear_cart(any_db, user) == 2
    assert (await cart.get_cart(any_db, user)).empty
    assert (await cart.get_cart(any_db, other)).item_count == 1, "another user's cart is untouched"


async def test_concurrent_adds_never_exceed_stock(any_db: Database) -> None:
    """200 shoppers tap "Add" at once on a product with 5 left, and one shopper taps 20 times at once: no lock
    errors, and no line ever holds more than the stock."""
    await add_products(any_db, product("HOT", stock=5))
    pid = await _product_id(any_db, "HOT")
    shoppers = [await make_user(any_db, 10_000 + i) for i in range(200)]
    results = await asyncio.gather(
        *(cart.add_to_cart(any_db, user, pid, 1) for user in shoppers), return_exceptions=True
    )
    assert not [r for r in results if isinstance(r, BaseException)], "a cart does not reserve: everyone may add 1"

    eager = shoppers[0]
    taps = (cart.add_to_cart(any_db, eager, pid, 1) for _ in range(20))
    results = await asyncio.gather(*taps, return_exceptions=True)
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, Conflict)]
    assert not unexpected, unexpected
    refused = [r for r in results if isinstance(r, Conflict)]
    assert all(r.code == "cart_no_more_stock" for r in refused)
    assert len(refused) == 16, "the line had 1: only 4 more fit"
    assert await cart.quantity_in_cart(any_db, eager, pid) == 5
    for user in shoppers[1:]:
        assert await cart.quantity_in_cart(any_db, user, pid) == 1


async def test_an_add_drawn_before_the_last_change_is_refused(any_db: Database) -> None:
    """`expected_in_cart` is the count the button was drawn with: a second "Add 3" from the same drawing finds
    the line changed and adds nothing, also when both taps arrive at once (checked under the product's lock)."""
    await add_products(any_db, product("POT", stock=50))
    pid = await _product_id(any_db, "POT")
    user = await make_user(any_db, 7)
    taps = (cart.add_to_cart(any_db, user, pid, 3, expected_in_cart=0) for _ in range(5))
    results = await asyncio.gather(*taps, return_exceptions=True)
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(refused) == 4 and all(r.code == cart.ALREADY_ADDED and r.params == {"in_cart": 3} for r in refused)
    assert await cart.quantity_in_cart(any_db, user, pid) == 3
    assert (await cart.add_to_cart(any_db, user, pid, 1, expected_in_cart=3)).quantity == 4
    with pytest.raises(Conflict):
        await cart.add_to_cart(any_db, user, pid, 1, expected_in_cart=3)
    assert (await cart.add_to_cart(any_db, user, pid, 1)).quantity == 5, "without a count: no check"


async def test_the_drawn_count_is_compared_modulo_what_buttons_carry(any_db: Database) -> None:
    """Buttons carry a line's count modulo COUNT_MODULUS (bounded callback data): 1003 in the cart matches a
    button drawn with 3, and 1004 does not."""
    await add_products(any_db, product("BULK", stock=5000))
    pid = await _product_id(any_db, "BULK")
    user = await make_user(any_db, 8)
    await cart.add_to_cart(any_db, user, pid, 1003, max_per_line=5000)
    assert (await cart.add_to_cart(any_db, user, pid, 1, max_per_line=5000, expected_in_cart=3)).quantity == 1004
    with pytest.raises(Conflict):
        await cart.add_to_cart(any_db, user, pid, 1, max_per_line=5000, expected_in_cart=3)
