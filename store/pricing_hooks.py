"""Discounts at checkout from other features (tier discount, coupons, points), without checkout knowing them.

Checkout builds a `PricingRequest`, calls `adjust()` inside its transaction, and applies the returned
adjustments in order; each provider sees what earlier ones already took off (`running_total`). Providers
that consume something (a coupon use, points) do it in the same transaction with conditional updates, so
a refused or rolled-back checkout consumes nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class PricedLine:
    product_id: int
    sku: str
    category_id: int
    unit_price: int
    quantity: int

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Adjustment:
    kind: str  # "tier" | "coupon" | "points" | "free_delivery"
    amount: int  # minor units taken off (positive)
    label_key: str  # locale key for the summary line
    params: dict[str, str | int] = field(default_factory=dict)
    points_spent: int = 0
    coupon_code: str | None = None
    stacks_with_tier: bool = True
    stacks_with_points: bool = True


@dataclass
class PricingRequest:
    user_id: int
    currency: str
    lines: list[PricedLine]
    subtotal: int
    delivery_fee: int
    coupon_code: str | None = None
    use_points: bool = False
    # Filled by checkout with the order id when the order row exists (consume=True); None for a preview.
    order_id: int | None = None
    consume: bool = False
    running_total: int = 0
    # What earlier providers already applied (a later one may refuse to stack with them).
    applied: list[Adjustment] = field(default_factory=list)


Provider = Callable[[AsyncSession, PricingRequest], Awaitable[list[Adjustment]]]


async def adjust(session: AsyncSession, request: PricingRequest) -> list[Adjustment]:
    request.running_total = request.subtotal + request.delivery_fee
    request.applied = []
    result = request.applied
    from store.rules import rules_of

    for func in rules_of(session).pricing:
        for adjustment in await func(session, request):
            amount = min(adjustment.amount, request.running_total)
            if amount <= 0:
                continue
            if amount != adjustment.amount:
                adjustment = dataclasses.replace(adjustment, amount=amount)
            request.running_total -= amount
            result.append(adjustment)
    return result
