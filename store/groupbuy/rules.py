"""Group-buy vocabulary and pure rules: statuses, event names, limits, the shop's policy, tiers and their
prices, the checks that limits and deadlines fit, the leader's commission."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from store.delivery_fee import DEFAULT_RULE, DeliveryRule
from store.errors import DomainError
from store.money import Money

OPEN = "open"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
CLOSED_STATUSES = (SUCCEEDED, FAILED, CANCELLED)

SOURCE = "groupbuy"
DEADLINE_JOB = "groupbuy_deadline"
TICK_JOB = "groupbuy_tick"

MAX_TIERS = 5
MAX_PARTICIPANTS = 10_000
MAX_PER_PERSON = 99
MIN_DURATION = timedelta(minutes=1)
PICKUP_TEXT_MIN, PICKUP_TEXT_MAX = 3, 64


@dataclass(frozen=True)
class GroupBuyPolicy:
    """The shop's settings that group buys obey, handed in by the bot (the core reads no configuration)."""

    commission_percent: float = 5.0
    payment_window_minutes: int = 60
    pickup_hold_minutes: int = 48 * 60
    max_duration_days: int = 14
    timezone: str = "Asia/Shanghai"
    delivery: DeliveryRule = DEFAULT_RULE
    card_enabled: bool = True
    pickup_payment_enabled: bool = True
    pickup_points: tuple[str, ...] = ()
    countdown_refresh_seconds: int = 300


@dataclass(frozen=True)
class Tier:
    """From `min_participants` people on, everybody pays `unit_price`."""

    min_participants: int
    unit_price: int


def price_for(tiers: Sequence[Tier], base_price: int, participants: int) -> int:
    """The unit price of the highest tier reached; the regular price below the first tier."""
    price = base_price
    for tier in tiers:
        if participants >= tier.min_participants:
            price = min(price, tier.unit_price)
    return price


def shown_tiers(tiers: Sequence[Tier], minimum: int) -> list[Tier]:
    """The tiers as people see them: nobody buys below the minimum, so the tiers a group of `minimum` already
    reaches become one tier at the minimum (with the best of their prices)."""
    reached = [tier for tier in tiers if tier.min_participants <= minimum]
    shown = [Tier(minimum, min(tier.unit_price for tier in reached))] if reached else []
    return shown + [tier for tier in tiers if tier.min_participants > minimum]


def price_reached(tiers: Sequence[Tier], base_price: int, minimum: int, participants: int) -> int:
    """The unit price the people who joined have reached, as the card shows the tiers (shown_tiers): below the
    minimum no tier is reached (the buy does not go ahead; everyone would pay the regular price), from the
    minimum on the price of the highest tier reached, the price the orders get (price_for, the same there)."""
    return price_for(shown_tiers(tiers, minimum), base_price, participants)


def standing(tiers: Sequence[Tier], base_price: int, minimum: int, participants: int) -> tuple[int, bool]:
    """What a participant acts on at a given count: the price reached and whether the goal (the minimum) is
    reached. A join or leave that changes neither changes only the counts shown."""
    return price_reached(tiers, base_price, minimum, participants), participants >= minimum


def next_tier(tiers: Sequence[Tier], participants: int) -> Tier | None:
    return next((tier for tier in tiers if tier.min_participants > participants), None)


def check_participants(tiers: Sequence[Tier], minimum: int, maximum: int | None, per_person: int, stock: int) -> None:
    """The limits fit each other and the stock (every participant holds at least one unit)."""
    if minimum > stock:
        raise DomainError("gb_min_above_stock", stock=stock)
    if maximum is not None:
        if maximum < minimum:
            raise DomainError("gb_max_below_min", min=minimum)
        if maximum > stock:
            raise DomainError("gb_max_above_stock", stock=stock)
    ceiling = maximum if maximum is not None else stock
    top = max((tier.min_participants for tier in tiers), default=1)
    if top > ceiling:
        raise DomainError("gb_tier_unreachable", tier=top, max=ceiling)
    if per_person < 1 or per_person > MAX_PER_PERSON:
        raise DomainError("gb_number_range", low=1, high=MAX_PER_PERSON)
    if maximum is not None:
        check_units(maximum, per_person, stock)


def check_setup(
    tiers: Sequence[Tier],
    regular: Money,
    minimum: int,
    maximum: int | None,
    per_person: int,
    stock: int,
) -> None:
    """What a buy must satisfy to be published, and again whenever its prices change: 1 to MAX_TIERS tiers,
    each cheaper than the regular price (and above zero), each needing more people for a lower price than the
    one before, and the limits fitting the tiers and the stock (check_participants)."""
    if not tiers or any(not 0 < tier.unit_price < regular.amount for tier in tiers):
        raise DomainError("gb_tier_not_cheaper", price=regular.format())
    if len(tiers) > MAX_TIERS:
        raise DomainError("gb_too_many_tiers", max=MAX_TIERS)
    ordered = sorted(tiers, key=lambda tier: tier.min_participants)
    for lower, higher in itertools.pairwise(ordered):
        if lower.min_participants == higher.min_participants or higher.unit_price >= lower.unit_price:
            raise DomainError("gb_tiers_order")
    check_participants(tiers, minimum, maximum, per_person, stock)


def check_units(maximum: int, per_person: int, stock: int) -> None:
    """Every place promises up to `per_person` units: a full buy must not promise more than the stock."""
    if maximum > stock:
        raise DomainError("gb_max_above_stock", stock=stock)
    if maximum * per_person > stock:
        raise DomainError(
            "gb_units_above_stock",
            max=maximum,
            limit=per_person,
            total=maximum * per_person,
            stock=stock,
            fit=stock // maximum,
        )


def check_deadline(deadline: datetime, now: datetime, max_days: int) -> None:
    if deadline <= now:
        raise DomainError("gb_deadline_past")
    if deadline < now + MIN_DURATION:
        raise DomainError("gb_deadline_too_soon")
    if deadline > now + timedelta(days=max_days):
        raise DomainError("gb_deadline_too_far", days=max_days)


def commission_of(amount: int, commission_bp: int) -> int:
    return (amount * commission_bp + 5000) // 10000


def format_remaining(deadline: datetime, now: datetime) -> tuple[int, int, int]:
    """(days, hours, minutes) left, rounded up to the minute so "0m" only shows at the end."""
    seconds = max(0, int((deadline - now).total_seconds()))
    minutes = (seconds + 59) // 60
    return minutes // 1440, (minutes % 1440) // 60, minutes % 60
