"""The shop's rules as one value: the growth policy (from config) and what each feature does when an order
changes state or a checkout is priced. The composition root builds it (`standard_rules`) and hands it to the
Database; every unit of work carries it, so store code reads `rules_of(session)` instead of a module global
or an import-time registry, and a test wires different rules by building a Database with them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from store.growth.policy import GrowthPolicy

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from store.db import Database
    from store.order_hooks import Hook, NoticeMaker
    from store.pricing_hooks import Provider


@dataclass(frozen=True)
class ShopRules:
    growth: GrowthPolicy = field(default_factory=GrowthPolicy)
    # Run inside the transaction of each order transition, keyed by the status the order enters.
    order_hooks: Mapping[str, tuple[Hook, ...]] = field(default_factory=dict)
    # Per order source: the buyer's notice of a transition when the generic status notice would say the wrong
    # thing (an expired flash order cannot simply be checked out again).
    order_notices: Mapping[str, NoticeMaker] = field(default_factory=dict)
    # Discount providers in the order they apply (coupon, tier, points).
    pricing: tuple[Provider, ...] = ()
    # Users who are admins by the shop's configuration, whatever roles the database grants.
    admins: frozenset[int] = frozenset()


def standard_rules(growth: GrowthPolicy | None = None, admins: frozenset[int] = frozenset()) -> ShopRules:
    """Every feature's order hooks and discount providers, listed where one can read them all."""
    from store import audit, delivery, groupbuy, privacy, stock_alerts
    from store.flashsale import hooks as flash_hooks
    from store.groupbuy import hooks as groupbuy_hooks
    from store.growth import rewards
    from store.social import reviews

    return ShopRules(
        growth=growth or GrowthPolicy(),
        admins=admins,
        order_hooks={
            "pending_payment": (stock_alerts.order_placed,),
            "confirmed": (stock_alerts.order_placed, audit.order_changed),
            "paid": (
                rewards.reward_paid_order,
                delivery.deliver_when_paid,
                groupbuy.on_paid,
                flash_hooks.on_paid,
                stock_alerts.order_placed,
                audit.order_changed,
                delivery.complete_when_handed_over,  # last: the other hooks see the order paid
            ),
            "shipped": (audit.order_changed,),
            "delivered": (
                rewards.reward_collected_order,
                delivery.deliver_when_paid_at_pickup,
                groupbuy.on_delivered,
                audit.order_changed,
                reviews.ask_for_reviews,
                privacy.erase_when_finished,
            ),
            "refunded": (
                rewards.reverse_refunded_order,
                groupbuy.on_refunded,
                groupbuy_hooks.give_back_refunded,
                flash_hooks.on_refunded,
                audit.order_changed,
                privacy.erase_when_finished,
            ),
            "cancelled": (
                rewards.give_back,
                groupbuy.give_back,
                flash_hooks.unit_back,
                audit.order_changed,
                privacy.erase_when_finished,
            ),
            "expired": (
                rewards.give_back,
                groupbuy.give_back,
                flash_hooks.unit_back,
                audit.order_changed,
                privacy.erase_when_finished,
            ),
        },
        order_notices={flash_hooks.SOURCE: flash_hooks.expiry_notice},
        pricing=(rewards.coupon_discount, rewards.tier_discount, rewards.points_discount),
    )


def rules_of(holder: AsyncSession | Database) -> ShopRules:
    """The rules of the Database this session (or the Database itself) belongs to."""
    found = getattr(holder, "rules", None)
    if isinstance(found, ShopRules):
        return found
    raise RuntimeError("a session made outside Database.tx()/read() has no shop rules")


def policy(holder: AsyncSession | Database) -> GrowthPolicy:
    return rules_of(holder).growth
