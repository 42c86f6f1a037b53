"""Loyalty tiers by spend: a shopper made Silver or Gold the way the tiers rule counts it (paid orders in the
last 12 months, store.growth.tiers.spend_in)."""

from __future__ import annotations

from store.db import Database
from store.models import Order, utcnow

SILVER_SPEND = 50_000
GOLD_SPEND = 200_000


async def spent(db: Database, user_id: int, total: int) -> None:
    """A paid order of `total` for `user_id` (an existing user): it counts towards their tier."""
    async with db.tx() as session:
        session.add(
            Order(
                user_id=user_id,
                status="paid",
                currency="CNY",
                subtotal=total,
                total=total,
                payment_method="card",
                delivery_method="pickup",
                paid_at=utcnow(),
            )
        )
