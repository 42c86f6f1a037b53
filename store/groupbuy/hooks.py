"""Order transitions that concern a group buy: the leader's commission is credited when a participant's
order is paid (pay on pickup: delivered) and reversed on refund; an unpaid order that ends, or a paid one refunded
before it was shipped or collected, gives its units back."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store import order_hooks, orders
from store.groupbuy.rules import SOURCE, commission_of
from store.models import Order
from store.models.groupbuy import GroupBuy, LeaderCommission


async def _credit(session: AsyncSession, order: Order) -> None:
    if order.source != SOURCE or order.source_ref is None:
        return
    exists = (
        await session.execute(
            select(LeaderCommission.id).where(LeaderCommission.order_id == order.id, LeaderCommission.kind == "credit")
        )
    ).first()
    if exists is not None:
        return
    buy = await session.get(GroupBuy, order.source_ref)
    if buy is None:
        return
    amount = commission_of(order.subtotal - order.discount, buy.commission_bp)
    session.add(
        LeaderCommission(
            leader_id=buy.leader_id,
            group_buy_id=buy.id,
            order_id=order.id,
            kind="credit",
            amount=amount,
            currency=order.currency,
        )
    )
    await session.flush()


async def on_paid(session: AsyncSession, change: order_hooks.Transition) -> None:
    await _credit(session, change.order)


async def on_delivered(session: AsyncSession, change: order_hooks.Transition) -> None:
    # Pay on pickup: the money is taken at the counter when the order is handed over.
    if change.from_status == orders.CONFIRMED:
        await _credit(session, change.order)


async def on_refunded(session: AsyncSession, change: order_hooks.Transition) -> None:
    order = change.order
    if order.source != SOURCE:
        return
    credit = (
        await session.execute(
            select(LeaderCommission).where(LeaderCommission.order_id == order.id, LeaderCommission.kind == "credit")
        )
    ).scalar_one_or_none()
    if credit is None:
        return
    reversed_already = (
        await session.execute(
            select(LeaderCommission.id).where(
                LeaderCommission.order_id == order.id, LeaderCommission.kind == "reversal"
            )
        )
    ).first()
    if reversed_already is None:
        session.add(
            LeaderCommission(
                leader_id=credit.leader_id,
                group_buy_id=credit.group_buy_id,
                order_id=order.id,
                kind="reversal",
                amount=-credit.amount,
                currency=credit.currency,
            )
        )
        await session.flush()


async def give_back(session: AsyncSession, change: order_hooks.Transition) -> None:
    # Group-buy orders hold the units reserved at join (orders only releases cart orders' stock).
    if change.order.source == SOURCE and change.from_status in orders.UNPAID:
        await orders.release_stock(session, change.order.id)


async def give_back_refunded(session: AsyncSession, change: order_hooks.Transition) -> None:
    """Refunded from paid, before it was shipped or collected: the units reserved at join never left the shop, so they
    go back on the shelf as a cart order's do (store.orders; refunded is terminal, so once). After shipping or a
    hand-over they are with the buyer. The buy itself is not touched: it succeeded and stays so (its tier and final
    price were promised to everyone), its participants stay as they joined, and what the leader earned and was paid
    follows the order (on_refunded reverses the commission; paid totals count paid orders only)."""
    if change.order.source == SOURCE and change.from_status == orders.PAID:
        await orders.release_stock(session, change.order.id, physical_only=True)
