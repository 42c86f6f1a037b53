"""The wizard's one screen of counts: the minimum, the maximum and the per-person limit, with defaults worked
out from the tiers and the stock so that most leaders only tap Continue, steppers that set values, and a typed
form for those who would rather type (`3 20 2`, `-` for no maximum)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from store.errors import DomainError
from store.groupbuy.parsing import parse_count
from store.groupbuy.rules import MAX_PARTICIPANTS, MAX_PER_PERSON, Tier, check_participants

# Up to this many units per person unless the stock is too small for the best tier at that many.
DEFAULT_LIMIT = 2
# No maximum while the stock could serve this many times the people the best tier needs, each at the limit:
# below that the stock, not the leader, caps the group, and a maximum says so on the card instead of a
# "sold out" surprise after the leader promised the best price.
PLENTY = 2
# What "no maximum" may be typed as.
NO_MAXIMUM_WORDS = frozenset({"-", "–", "—", "no", "none", "nomax", "∞", "无", "不限", "不限人数", "无上限"})
FIELDS = ("m", "x", "l")  # minimum, maximum, per-person limit: what a stepper button names


@dataclass(frozen=True)
class Counts:
    minimum: int
    maximum: int | None
    limit: int

    def as_data(self) -> dict[str, Any]:
        """The FSM-data keys the rest of the wizard (and Publish) reads."""
        return {"minimum": self.minimum, "maximum": self.maximum, "limit": self.limit}


def default_counts(tiers: Sequence[Tier], stock: int) -> Counts:
    """The minimum is the first tier's head-count (nobody is asked to go ahead at the regular price); the limit
    is DEFAULT_LIMIT, fewer when the stock could not give the best tier's people that many each; no maximum
    unless the stock is tight (then as many people as the stock serves at the limit)."""
    stock = max(stock, 1)
    first = min((tier.min_participants for tier in tiers), default=1)
    top = max((tier.min_participants for tier in tiers), default=1)
    minimum = max(1, min(first, stock))
    limit = max(1, min(DEFAULT_LIMIT, stock // max(top, 1)))
    fit = stock_fit(stock, limit)
    maximum = max(fit, minimum) if stock_limits(tiers, minimum, limit, stock) else None
    return Counts(minimum, maximum, limit)


def stock_fit(stock: int, limit: int) -> int:
    """The most people `stock` units serve when each may take `limit`: the highest maximum that fits."""
    return min(stock // max(limit, 1), MAX_PARTICIPANTS)


def stock_limits(tiers: Sequence[Tier], minimum: int, limit: int, stock: int) -> bool:
    """Whether the stock, rather than the leader, caps the group: it cannot serve PLENTY times the people the
    best tier (or the minimum) needs, each at the limit. Then "no maximum" would promise places that run out
    before the best price, so a maximum is wanted instead."""
    top = max((tier.min_participants for tier in tiers), default=1)
    return stock_fit(stock, limit) < PLENTY * max(top, minimum)


def counts_from_data(data: dict[str, Any]) -> Counts | None:
    if data.get("minimum") is None or data.get("limit") is None:
        return None
    maximum = data.get("maximum")
    return Counts(int(data["minimum"]), int(maximum) if maximum is not None else None, int(data["limit"]))


def check_counts(tiers: Sequence[Tier], counts: Counts, stock: int) -> None:
    check_participants(tiers, counts.minimum, counts.maximum, counts.limit, stock)


def counts_problem(tiers: Sequence[Tier], counts: Counts, stock: int) -> DomainError | None:
    """Why these counts do not fit the tiers and the stock (the screen says it), or None when they fit."""
    try:
        check_counts(tiers, counts, stock)
    except DomainError as exc:
        return exc
    return None


# ---------------------------------------------------------------------------------------------- steppers
# Every stepper button carries the value it sets ("x.25"), so a double tap sets the same value twice.


def _maximum_step(value: int) -> int:
    return 1 if value < 10 else 5


def maximum_down(counts: Counts, stock: int) -> int | None:
    """One step below the maximum shown; from "no maximum", the most people the stock serves at the limit.
    None when there is nothing below (the minimum)."""
    if counts.maximum is None:
        value = min(stock // counts.limit, MAX_PARTICIPANTS)
    else:
        step = _maximum_step(counts.maximum - 1)
        value = (counts.maximum - 1) // step * step
    value = max(value, counts.minimum)
    return value if counts.maximum is None or value < counts.maximum else None


def maximum_up(counts: Counts, stock: int) -> int | None:
    """One step above; past what the stock serves at the limit the next step is "no maximum" (0 here)."""
    if counts.maximum is None:
        return None
    step = _maximum_step(counts.maximum)
    value = (counts.maximum // step + 1) * step
    return value if value * counts.limit <= stock and value <= MAX_PARTICIPANTS else 0


def steppers(tiers: Sequence[Tier], counts: Counts, stock: int) -> dict[str, tuple[int | None, int | None]]:
    """The value each stepper's ➖ and ➕ sets, by field (None: no button). While the counts fit, a step is
    offered only when the counts still fit after it: never a maximum below a tier's people (that tier could not
    be reached) nor a maximum × per-person promise above the stock. Counts that do not fit (the stock is too
    small for the prices) offer every step; the screen states the problem and Continue refuses."""
    ceiling = counts.maximum if counts.maximum is not None else stock
    raw: dict[str, tuple[int | None, int | None]] = {
        "m": (
            counts.minimum - 1 if counts.minimum > 1 else None,
            counts.minimum + 1 if counts.minimum < min(ceiling, MAX_PARTICIPANTS) else None,
        ),
        "x": (maximum_down(counts, stock), maximum_up(counts, stock)),
        "l": (
            counts.limit - 1 if counts.limit > 1 else None,
            counts.limit + 1 if counts.limit < min(MAX_PER_PERSON, stock) else None,
        ),
    }
    if counts_problem(tiers, counts, stock) is not None:
        return raw

    def fits(field: str, value: int | None) -> int | None:
        if value is None:
            return None
        changed = set_counts_field(counts, field, str(value))
        return value if counts_problem(tiers, changed, stock) is None else None

    return {field: (fits(field, down), fits(field, up)) for field, (down, up) in raw.items()}


def set_counts_field(counts: Counts, field: str, value: str) -> Counts:
    """The counts after a stepper tap: `field` one of FIELDS, `value` a number ("0" for no maximum)."""
    if field not in FIELDS or not value.isdigit() or len(value) > 6:
        raise DomainError("bad_button")
    number = int(value)
    if field == "m":
        return replace(counts, minimum=parse_count(value, 1, MAX_PARTICIPANTS))
    if field == "l":
        return replace(counts, limit=parse_count(value, 1, MAX_PER_PERSON))
    return replace(counts, maximum=None if number == 0 else parse_count(value, 1, MAX_PARTICIPANTS))


# ---------------------------------------------------------------------------------------------- typed

_SEPARATORS = re.compile(r"[\s,，、;；/]+")


def parse_counts(text: str, current: Counts) -> Counts:
    """Typed counts in the screen's order: minimum, maximum (`-` for none), per person. Fewer values keep the
    rest as shown: `5` is a minimum of 5, `5 -` also drops the maximum."""
    parts = [part for part in _SEPARATORS.split(text.strip().lower()) if part]
    if not parts or len(parts) > len(FIELDS):
        raise DomainError("gb_bad_counts")
    minimum = parse_count(parts[0], 1, MAX_PARTICIPANTS)
    maximum = current.maximum
    if len(parts) > 1:
        maximum = None if parts[1] in NO_MAXIMUM_WORDS else parse_count(parts[1], 1, MAX_PARTICIPANTS)
    limit = parse_count(parts[2], 1, MAX_PER_PERSON) if len(parts) > 2 else current.limit
    return Counts(minimum, maximum, limit)
