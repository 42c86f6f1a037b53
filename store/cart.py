"""The cart: one row per (user, product) in cart_items, so it survives restarts and checkout reads it directly.

A cart does not reserve stock (checkout does), but a line never exceeds the stock left at the moment it is
changed: the check and the write happen in one transaction with the product row locked on PostgreSQL (SQLite
serialises writers anyway), so concurrent taps cannot slip past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.catalog import PRODUCT_COLUMNS, ProductView, product_from_row
from store.db import Database, rowcount
from store.errors import Conflict, DomainError
from store.models import CartItem, Product
from store.money import STARS, Money


@dataclass(frozen=True)
class CartLine:
    product: ProductView
    quantity: int

    @property
    def available(self) -> bool:
        """False when the product was hidden, sold out or taken off sale after it was put in the cart."""
        return self.product.active and self.product.stock > 0 and self.product.for_sale

    @property
    def over_stock(self) -> bool:
        return self.available and self.quantity > self.product.stock

    @property
    def total(self) -> Money:
        """What the line costs as it is paid: a digital product in Telegram Stars (Telegram sells digital goods
        for Stars only, and checkout charges its Star price), anything else in its own currency."""
        if self.product.is_digital and self.product.stars_price:
            return Money(self.product.stars_price * self.quantity, STARS)
        return self.product.money.times(self.quantity)


@dataclass(frozen=True)
class CartView:
    user_id: int
    lines: tuple[CartLine, ...]

    @property
    def empty(self) -> bool:
        return not self.lines

    @property
    def subtotals(self) -> tuple[Money, ...]:
        """Subtotal of the available lines, one per currency as they are paid: the shop's currency, and Stars
        for digital lines (never counted in the shop's currency); the Stars one last."""
        sums: dict[str, int] = {}
        for line in self.lines:
            if line.available:
                total = line.total
                sums[total.currency] = sums.get(total.currency, 0) + total.amount
        ordered = sorted(sums.items(), key=lambda item: item[0] == STARS)
        return tuple(Money(amount, currency) for currency, amount in ordered)

    @property
    def item_count(self) -> int:
        return sum(line.quantity for line in self.lines)

    def line(self, product_id: int) -> CartLine | None:
        return next((line for line in self.lines if line.product.id == product_id), None)


@dataclass(frozen=True)
class CartChange:
    """The outcome of a change: the product as it is now and the line's new quantity (0 = removed)."""

    product: ProductView
    quantity: int


# add_to_cart's refusal of a button drawn before the line last changed (its params: in_cart, the count now).
ALREADY_ADDED = "cart_already_added"
# Buttons carry a line's count modulo this, so their callback data stays within Telegram's 64 bytes whatever
# the per-line maximum; a line would have to move by a multiple of it between two drawings to look unchanged.
COUNT_MODULUS = 1000


def line_limit(product: ProductView, max_per_line: int) -> int:
    return max(0, min(product.stock, max_per_line))


async def get_cart(db: Database, user_id: int) -> CartView:
    async with db.read() as session:
        return await _cart(session, user_id)


async def _cart(session: AsyncSession, user_id: int) -> CartView:
    rows = await session.execute(
        select(CartItem.quantity, *PRODUCT_COLUMNS)
        .join(Product, Product.id == CartItem.product_id)
        .where(CartItem.user_id == user_id)
        .order_by(CartItem.added_at, CartItem.product_id)
    )
    return CartView(user_id, tuple(CartLine(product_from_row(row), row.quantity) for row in rows))


async def _locked_product(session: AsyncSession, product_id: int, dialect: str) -> ProductView | None:
    query = select(*PRODUCT_COLUMNS).where(Product.id == product_id)
    if dialect == "postgresql":
        # NO KEY UPDATE: serialises changes to this product's cart lines without blocking inserts that merely
        # reference the product (order_items and cart_items foreign keys take KEY SHARE).
        query = query.with_for_update(key_share=True)
    row = (await session.execute(query)).first()
    return product_from_row(row) if row is not None else None


def _check_current(product: ProductView | None, version: int | None) -> ProductView:
    if product is None or not product.active:
        raise Conflict("catalog_product_unavailable")
    if not product.for_sale:
        raise Conflict("cart_not_for_sale")
    if version is not None and product.version != version:
        raise Conflict("stale_button")
    return product


# Built once: every product card shows how many are in the shopper's cart.
def quantity_select(user_id: Any, product_id: Any) -> Select[int]:
    """How many of a product a shopper's cart holds (no row: none); also a card's scalar subquery."""
    return select(CartItem.quantity).where(CartItem.user_id == user_id, CartItem.product_id == product_id)


_QUANTITY = quantity_select(bindparam("user_id"), bindparam("product_id"))


async def _current_quantity(session: AsyncSession, user_id: int, product_id: int) -> int | None:
    row = (await session.execute(_QUANTITY, {"user_id": user_id, "product_id": product_id})).first()
    return int(row[0]) if row is not None else None


def _check_limits(product: ProductView, quantity: int, in_cart: int, max_per_line: int) -> None:
    if product.stock <= 0:
        raise Conflict("cart_sold_out")
    if quantity > product.stock:
        can_add = max(0, product.stock - in_cart)
        if can_add == 0:
            raise Conflict("cart_no_more_stock", stock=product.stock, in_cart=in_cart)
        raise Conflict("cart_over_stock", stock=product.stock, in_cart=in_cart, can_add=can_add)
    if quantity > max_per_line:
        raise DomainError("cart_line_limit", max=max_per_line)


async def add_to_cart(
    db: Database,
    user_id: int,
    product_id: int,
    quantity: int = 1,
    *,
    version: int | None = None,
    max_per_line: int = 99,
    expected_in_cart: int | None = None,
) -> CartChange:
    """Add `quantity` to the user's line for the product. Refused (nothing changes) when the product changed
    since the button was drawn (`version`), is hidden, or the line would exceed the stock left or the per-line
    maximum. `expected_in_cart`: how many the line held when the button was drawn (modulo COUNT_MODULUS); a
    line that has grown since means the button may be from before its own add (an old "Add 3" tapped again),
    refused as ALREADY_ADDED. A line that shrank (removed or lowered in /cart) cannot be that, so the add goes
    ahead (the outside tester got "Already in your cart (0)"). Checked under the product's lock, so two such taps
    at once add once. A line never holds COUNT_MODULUS or more (the per-line maximum is below it), so the counts
    compare as they are."""
    if quantity < 1:
        raise DomainError("cart_quantity_invalid")
    async with db.tx() as session:
        product = _check_current(await _locked_product(session, product_id, db.dialect), version)
        in_cart = await _current_quantity(session, user_id, product_id)
        if expected_in_cart is not None and (in_cart or 0) % COUNT_MODULUS > expected_in_cart % COUNT_MODULUS:
            raise Conflict(ALREADY_ADDED, in_cart=in_cart or 0)
        new_quantity = (in_cart or 0) + quantity
        _check_limits(product, new_quantity, in_cart or 0, max_per_line)
        if in_cart is None:
            session.add(CartItem(user_id=user_id, product_id=product_id, quantity=new_quantity))
        else:
            await session.execute(
                update(CartItem)
                .where(CartItem.user_id == user_id, CartItem.product_id == product_id)
                .values(quantity=new_quantity)
                .execution_options(synchronize_session=False)
            )
        return CartChange(product, new_quantity)


async def change_quantity(
    db: Database,
    user_id: int,
    product_id: int,
    delta: int,
    *,
    version: int | None = None,
    max_per_line: int = 99,
    shown: int | None = None,
) -> CartChange:
    """Move a line's quantity by `delta` within 1..min(stock, max_per_line). A line can only go down to 1 here
    (removing is its own button); lowering is always allowed, even when the stock has shrunk below it.
    `shown`: the quantity the tapped screen showed; when the line holds another by now (the same ➕ tapped
    twice before the redraw) nothing changes (Conflict cart_line_changed)."""
    async with db.tx() as session:
        in_cart = await _current_quantity(session, user_id, product_id)
        if in_cart is None:
            raise Conflict("cart_line_gone")
        if shown is not None and in_cart != shown:
            raise Conflict("cart_line_changed", quantity=in_cart)
        product = _check_current(await _locked_product(session, product_id, db.dialect), version)
        new_quantity = in_cart + delta
        if new_quantity < 1:
            raise DomainError("cart_quantity_min")
        if delta > 0:
            _check_limits(product, new_quantity, in_cart, max_per_line)
        elif product.stock > 0 and new_quantity > product.stock:
            new_quantity = product.stock  # shrink straight to what is still available
        await session.execute(
            update(CartItem)
            .where(CartItem.user_id == user_id, CartItem.product_id == product_id)
            .values(quantity=new_quantity)
            .execution_options(synchronize_session=False)
        )
        return CartChange(product, new_quantity)


async def remove_line(db: Database, user_id: int, product_id: int) -> bool:
    """Remove a line; False when it was already gone."""
    async with db.tx() as session:
        result = await session.execute(
            delete(CartItem)
            .where(CartItem.user_id == user_id, CartItem.product_id == product_id)
            .execution_options(synchronize_session=False)
        )
        return bool(rowcount(result))


async def clear_cart(db: Database, user_id: int) -> int:
    """Empty the cart; returns how many lines were removed."""
    async with db.tx() as session:
        result = await session.execute(
            delete(CartItem).where(CartItem.user_id == user_id).execution_options(synchronize_session=False)
        )
        return rowcount(result)


async def quantity_in_cart(db: Database, user_id: int, product_id: int) -> int:
    async with db.read() as session:
        return await _current_quantity(session, user_id, product_id) or 0
