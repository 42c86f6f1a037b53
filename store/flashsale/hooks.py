"""Order transitions that concern a flash sale: an unpaid order gives its unit back, a paid one counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import order_hooks, orders, scheduling
from store.flashsale.lifecycle import _edit_cards
from store.flashsale.rules import END_JOB, EXPIRED_TEMPLATE, LIVE, SOURCE, end_key
from store.flashsale.stock import _give_to_product
from store.flashsale.views import _changed, _counted, _load
from store.models import utcnow
from store.models.flashsale import FlashClaim, FlashSale
from store.money import STARS


async def _claim_of(session: AsyncSession, order_id: int) -> FlashClaim | None:
    return (await session.execute(select(FlashClaim).where(FlashClaim.order_id == order_id))).scalar_one_or_none()


async def unit_back(session: AsyncSession, change: order_hooks.Transition) -> None:
    """An unpaid flash order ended: its unit goes back to the pool (or to the product if the sale is over)."""
    order = change.order
    if order.source != SOURCE or change.from_status not in orders.UNPAID or order.source_ref is None:
        return
    claim = await _claim_of(session, order.id)
    if claim is None or claim.status != "claimed":
        return
    claim.status = "returned"
    sale, view = await _load(session, order.source_ref, lock=True)
    was_sold_out = sale.sold >= sale.stock
    values: dict[str, Any] = {"sold": FlashSale.sold - 1, "returned": FlashSale.returned + 1}
    if sale.status != LIVE:
        values["released"] = FlashSale.released + 1
        await _give_to_product(session, sale.product_id, 1)
    await session.execute(update(FlashSale).where(FlashSale.id == sale.id).values(**values))
    if sale.status == LIVE and was_sold_out:
        _, view = await _load(session, sale.id)
        await _edit_cards(session, view, LIVE, f"back{view.returned}", groups_only=True)
    elif sale.status == LIVE:
        _counted(session, sale.id)  # one more unit left: the paced redraw counts it
    _changed(session, sale.id)


async def expiry_notice(session: AsyncSession, change: order_hooks.Transition) -> order_hooks.Notice | None:
    """The buyer's notice of an expired flash order: the generic one says to check out again, which a flash price
    cannot be. It says whether the sale is still on for them (then with its Buy), or over. Decided now: the tap on
    Buy re-checks whatever changed before they read it."""
    order = change.order
    if change.to_status != orders.EXPIRED or change.from_status not in orders.UNPAID or order.source_ref is None:
        return None
    claim = await _claim_of(session, order.id)
    if claim is None or claim.status != "claimed":
        return None
    sale, view = await _load(session, order.source_ref)
    held = (
        await session.execute(
            select(func.max(FlashClaim.seq)).where(FlashClaim.sale_id == sale.id, FlashClaim.user_id == order.user_id)
        )
    ).scalar_one_or_none() or 0
    if sale.status != LIVE or sale.ends_at <= utcnow():
        state = "ended"
    elif held >= sale.per_user_limit:
        state = "limit"  # the expired unit still counts towards the per-person limit (store/flashsale/__init__)
    else:
        state = "live"
    return order_hooks.Notice(
        EXPIRED_TEMPLATE,
        {
            "sale_id": sale.id,
            "title_en": view.title_en,
            "title_zh": view.title_zh,
            "state": state,
            "limit": sale.per_user_limit,
            "ends_at": sale.ends_at.isoformat(),
        },
    )


async def on_paid(session: AsyncSession, change: order_hooks.Transition) -> None:
    order = change.order
    if order.source != SOURCE or order.source_ref is None:
        return
    claim = await _claim_of(session, order.id)
    if claim is None or claim.status != "claimed":
        return
    claim.status = "paid"
    result = await session.execute(
        update(FlashSale)
        .where(FlashSale.id == order.source_ref)
        # Revenue is in the sale's currency: a unit paid in Stars counts at its flash price.
        .values(
            paid=FlashSale.paid + 1,
            revenue=FlashSale.revenue + (FlashSale.price if order.currency == STARS else order.total),
        )
        .returning(FlashSale.paid, FlashSale.stock, FlashSale.status)
    )
    paid, stock, status = result.one()
    if status == LIVE and paid >= stock:
        # Every unit is paid: nothing can come back, so the end event runs now (exactly once, like at the end time).
        await scheduling.schedule(session, END_JOB, order.source_ref, utcnow(), key=end_key(order.source_ref))
