"""A winner's choices (delivery or pick-up), subscriptions, and the claims list."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import delivery, orders
from store.db import Database, rowcount
from store.delivery_fee import DEFAULT_RULE, DeliveryRule
from store.errors import Conflict, DomainError
from store.flashsale.rules import SOURCE, stars_price
from store.growth import tiers
from store.models import Order, OrderItem, Product, User
from store.models.flashsale import FlashClaim, FlashSale
from store.money import STARS


async def _not_payable(session: AsyncSession, order_id: int, user_id: int) -> Conflict:
    """Why a won unit cannot be paid (again): already paid is not the same news as expired or cancelled."""
    status = (
        await session.execute(select(Order.status).where(Order.id == order_id, Order.user_id == user_id))
    ).scalar()
    if status in orders.PAID_STATUSES:
        return Conflict("flash_order_paid", order_id=order_id)
    return Conflict("flash_not_payable")


# The shop's delivery rule when the caller does not hand its own (the bot passes the configured one).


async def choose_receipt(
    db: Database,
    order_id: int,
    user_id: int,
    pickup_point: str | None,
    pickup_points: Sequence[str],
    *,
    rule: DeliveryRule = DEFAULT_RULE,
) -> orders.OrderDetail:
    """Before paying a won unit, its winner picks delivery (None) or one of the shop's pick-up points, as at a
    normal checkout. Only the winner's own unpaid, physical flash order can change (callback data is never
    trusted); its goods stay at the flash price. A pick-up gets its pickup code here, as a checkout's pickup order
    gets one when it is created.

    Delivery adds the shop's delivery fee (`rule`: fee unless the goods reach the free-delivery threshold, or the
    winner's tier gives free delivery: store.growth.tiers.shopper_rule), a pick-up none: the order's delivery fee
    and total are set from its goods, never added to what it holds, so choosing delivery twice charges the fee
    once and switching back to a pick-up point takes it off. An invoice sent for the other choice no longer
    matches the total and is refused at pre-checkout (store.payments)."""
    if pickup_point is not None and pickup_point not in pickup_points:
        raise DomainError("checkout_bad_pickup_point")
    async with db.tx() as session:
        goods = (
            await session.execute(select(Order.subtotal).where(Order.id == order_id, Order.user_id == user_id))
        ).scalar()
        fee = 0
        if pickup_point is None and goods is not None:
            # The winner's tier may waive it (free delivery), as at a checkout: then the order charges no fee.
            fee = await tiers.shopper_delivery_fee(session, user_id, rule, "delivery", int(goods))
        result = await session.execute(
            update(Order)
            .where(
                Order.id == order_id,
                Order.user_id == user_id,
                Order.source == SOURCE,
                Order.status == orders.PENDING_PAYMENT,
                Order.delivery_method.in_(("delivery", "pickup")),
                Order.currency != STARS,
                Order.subtotal == goods,  # the fee was worked out from these goods
            )
            .values(
                delivery_method="delivery" if pickup_point is None else "pickup",
                pickup_point=pickup_point,
                # As a checkout's pickup order: a code the counter asks for, kept when the point is chosen again.
                pickup_code=None
                if pickup_point is None
                else func.coalesce(Order.pickup_code, delivery.new_pickup_code()),
                delivery_fee=fee,
                total=Order.subtotal + fee - Order.discount - Order.points_discount,
            )
        )
        if not rowcount(result):
            raise await _not_payable(session, order_id, user_id)
        return await orders.load_detail(session, order_id, user_id)


async def pay_in_stars(db: Database, order_id: int, user_id: int) -> orders.OrderDetail | None:
    """A won unit of a digital product is paid in Stars, as Telegram requires for digital goods and as a checkout
    of it is: the winner's unpaid order moves to its flash price in Stars (`stars_price`) before the invoice.
    Again for an order already in Stars (a second Pay tap) it changes nothing; None when the product has no
    Star price (it stays a card payment, as at a checkout)."""
    async with db.tx() as session:
        order = (
            await session.execute(
                select(Order)
                .where(
                    Order.id == order_id,
                    Order.user_id == user_id,
                    Order.source == SOURCE,
                    Order.status == orders.PENDING_PAYMENT,
                    Order.delivery_method == "digital",
                )
                .with_for_update()
            )
        ).scalar_one_or_none()
        if order is None:
            raise await _not_payable(session, order_id, user_id)
        if order.currency != STARS:
            sale = await session.get(FlashSale, order.source_ref)
            items = list((await session.execute(select(OrderItem).where(OrderItem.order_id == order_id))).scalars())
            product = await session.get(Product, items[0].product_id) if len(items) == 1 else None
            if sale is None or product is None or not product.stars_price:
                return None
            unit = stars_price(product.price, product.stars_price, sale.price)
            items[0].unit_price = unit
            total = unit * items[0].quantity
            order.currency, order.subtotal, order.total, order.payment_method = STARS, total, total, "stars"
        return await orders.load_detail(session, order_id, user_id)


# ---------------------------------------------------------------------------------------------- subscriptions


async def set_subscribed(db: Database, user_id: int, subscribed: bool) -> bool:
    """Opt in or out of private flash-sale announcements; False when nothing changed."""
    async with db.tx() as session:
        result = await session.execute(
            update(User)
            .where(User.id == user_id, User.subscribed_flash.is_not(subscribed))
            .values(subscribed_flash=subscribed)
        )
        return bool(rowcount(result))


# Why a tap heard LIMIT (`limit_reason`): every unit the user won in the sale went back unpaid, or some did.
LIMIT_ALL_RETURNED, LIMIT_SOME_RETURNED = "returned", "some_returned"


async def limit_reason(db: Database, sale_id: int, user_id: int) -> str | None:
    """Why the user is at the sale's per-person limit, for the answer to a tap the gate refused: units whose
    orders expired or were cancelled unpaid still count (the limit is on units won, store.flashsale), and "you
    already got one" is not true for someone whose every unit went back. LIMIT_ALL_RETURNED when all their claims
    were returned, LIMIT_SOME_RETURNED when some were, None otherwise. One small read, asked only after a LIMIT
    answer: the gate decides every tap without it."""
    async with db.read() as session:
        rows = await session.execute(
            select(FlashClaim.status, func.count())
            .where(FlashClaim.sale_id == sale_id, FlashClaim.user_id == user_id)
            .group_by(FlashClaim.status)
        )
        counts = {str(status): int(n) for status, n in rows.all()}
    returned = counts.get("returned", 0)
    if not returned:
        return None
    return LIMIT_ALL_RETURNED if returned == sum(counts.values()) else LIMIT_SOME_RETURNED


async def claims_of(db: Database, sale_id: int) -> list[tuple[int, int, str, int | None]]:
    """(user id, seq, status, order id) for every claim of a sale (tests, summaries)."""
    async with db.read() as session:
        rows = await session.execute(
            select(FlashClaim.user_id, FlashClaim.seq, FlashClaim.status, FlashClaim.order_id)
            .where(FlashClaim.sale_id == sale_id)
            .order_by(FlashClaim.id)
        )
        return [(int(u), int(s), str(st), o) for u, s, st, o in rows.all()]
