"""Order transitions that concern a flash sale: an unpaid order gives its unit back, a paid one counts, a refunded
one is taken back out of the counts (and its unit comes back if it never left the shop)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import SQLColumnExpression, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store import order_hooks, orders, scheduling
from store.flashsale import pay_messages
from store.flashsale.lifecycle import _edit_cards
from store.flashsale.rules import END_JOB, EXPIRED_TEMPLATE, LIVE, SOURCE, end_key
from store.flashsale.stock import _give_to_product
from store.flashsale.views import _changed, _counted, _load
from store.models import Order, utcnow
from store.models.flashsale import FlashClaim, FlashSale
from store.money import STARS


async def _claim_of(session: AsyncSession, order_id: int) -> FlashClaim | None:
    return (await session.execute(select(FlashClaim).where(FlashClaim.order_id == order_id))).scalar_one_or_none()


async def unit_back(session: AsyncSession, change: order_hooks.Transition) -> None:
    """An unpaid flash order ended: its unit goes back to the pool (or to the product if the sale is over), and the
    messages that offered to pay for it lose their Pay buttons (the notice of the end is queued with the transition:
    expiry_notice)."""
    order = change.order
    if order.source != SOURCE or change.from_status not in orders.UNPAID or order.source_ref is None:
        return
    claim = await _claim_of(session, order.id)
    if claim is None or claim.status != "claimed":
        return
    claim.status = "returned"
    await _give_unit_back(session, order.source_ref)
    await pay_messages.retire(session, order.id, change.to_status)


async def _give_unit_back(session: AsyncSession, sale_id: int, **also: Any) -> None:
    """One unit of the sale comes back (`also`: more counter changes in the same update): to the pool while the sale
    is live, to the product once it is over. Decided under the sale row's lock, which end_sale also takes: whichever
    runs first, the other sees its result (a unit back before the end is in the unsold units it releases; after it,
    the unit goes to the product here), so product stock + pool never gains or loses a unit."""
    sale, view = await _load(session, sale_id, lock=True)
    was_sold_out = sale.sold >= sale.stock
    # `returned` also tags the cards' edits (back<n>, so<n>, n<sold>.<n>): every unit back in the pool bumps it, or a
    # later sell-out or count edit would find its tag already used and never be drawn.
    values: dict[str, Any] = {"sold": FlashSale.sold - 1, "returned": FlashSale.returned + 1, **also}
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


def _revenue_of(order: Order) -> SQLColumnExpression[int] | int:
    """What a paid order adds to its sale's revenue, in the sale's currency: the goods it paid for, not the delivery
    fee a delivered unit adds (the sale sold units; the fee pays the courier), and a unit paid in Stars counts at its
    flash price. on_paid adds it and on_refunded takes the same amount back."""
    return FlashSale.price if order.currency == STARS else order.total - order.delivery_fee


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
        .values(paid=FlashSale.paid + 1, revenue=FlashSale.revenue + _revenue_of(order))
        .returning(FlashSale.paid, FlashSale.stock, FlashSale.status)
    )
    paid, stock, status = result.one()
    if status == LIVE and paid >= stock:
        # Every unit is paid: nothing can come back, so the end event runs now (exactly once, like at the end time).
        await scheduling.schedule(session, END_JOB, order.source_ref, utcnow(), key=end_key(order.source_ref))


async def on_refunded(session: AsyncSession, change: order_hooks.Transition) -> None:
    """A paid flash order was refunded: its claim leaves "paid" for "refunded" (it still counts towards the
    per-person limit, which is on units won, as an expired one does) and the sale takes back the revenue on_paid
    added: the money went back to the buyer (orders.stats drops a refunded order's revenue too).

    Refunded from paid, physical goods not yet shipped or collected: the unit never left the shop, so it comes back as
    an unpaid order's does (unit_back: to the pool while the sale is live, else to the product) and `paid` is taken
    back with it. An end brought forward because every unit was paid is left as it is: it runs within moments and
    releases this unit with the other unsold ones.

    Refunded after shipping or delivery, or digital goods (handed over with the payment, as store.orders treats a
    cart's): the unit is with the buyer and nothing comes back. `sold` and `paid` stay: the unit left the pool for
    good, paid for when it went, so the pool stays right and `sold - paid` still counts only units awaiting payment.
    """
    order = change.order
    if order.source != SOURCE or order.source_ref is None:
        return
    claim = await _claim_of(session, order.id)
    if claim is None or claim.status != "paid":
        return  # take back only what on_paid counted, once
    claim.status = "refunded"
    revenue = FlashSale.revenue - _revenue_of(order)
    if change.from_status == orders.PAID and order.delivery_method != "digital":
        await _give_unit_back(session, order.source_ref, paid=FlashSale.paid - 1, revenue=revenue)
    else:
        await session.execute(update(FlashSale).where(FlashSale.id == order.source_ref).values(revenue=revenue))
