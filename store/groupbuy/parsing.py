"""What a leader types or taps in the set-up wizard, read and checked: tiers, counts, deadlines, the pickup
point, a contact, the preset buttons, and the finished spec that `publish` takes."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from store import checkout, orders
from store.errors import DomainError
from store.groupbuy.rules import (
    MAX_PARTICIPANTS,
    MAX_TIERS,
    MIN_DURATION,
    PICKUP_TEXT_MAX,
    PICKUP_TEXT_MIN,
    Tier,
    check_deadline,
)
from store.money import Money, parse_major
from store.spoken_time import example_moment, parse_spoken_time

_TIER_SPLIT = re.compile(r"[,;，；\n]+")


_TIER_ENTRY = re.compile(r"^(?:(\d+)\s*(?:\+|人|:|：|=|\s)\s*[:：=]?\s*)?(\d+(?:[.,]\d+)?)\s*(%|％)?$")


def _percent_price(base_price: int, text: str) -> int:
    try:
        percent = Decimal(text.replace(",", "."))
    except InvalidOperation as exc:
        raise DomainError("gb_bad_tiers") from exc
    if not Decimal(0) < percent < Decimal(100) or percent != percent.quantize(Decimal("0.01")):
        raise DomainError("gb_bad_percent")
    basis_points = int(percent * 100)
    return base_price - (base_price * basis_points + 5000) // 10000


def parse_tiers(text: str, base_price: int, currency: str) -> list[Tier]:
    """`89.00` (one group price), `10%` (one discount) or tiers: `3+ 10%, 10+ 20%` / `3: 89, 10: 79`."""
    entries = [e.strip() for e in _TIER_SPLIT.split(text.strip()) if e.strip()]
    if not entries:
        raise DomainError("gb_bad_tiers")
    if len(entries) > MAX_TIERS:
        raise DomainError("gb_too_many_tiers", max=MAX_TIERS)
    tiers: list[Tier] = []
    for entry in entries:
        match = _TIER_ENTRY.match(entry)
        if match is None:
            raise DomainError("gb_bad_tiers")
        threshold_text, value, percent = match.groups()
        threshold = int(threshold_text) if threshold_text else 1
        if not 1 <= threshold <= MAX_PARTICIPANTS:
            raise DomainError("gb_bad_tiers")
        if percent:
            price = _percent_price(base_price, value)
        else:
            try:
                price = parse_major(value.replace(",", "."), currency)
            except ValueError as exc:
                raise DomainError("gb_bad_tiers") from exc
        if not 0 < price < base_price:
            raise DomainError("gb_tier_not_cheaper", price=Money(base_price, currency).format())
        tiers.append(Tier(threshold, price))
    tiers.sort(key=lambda tier: tier.min_participants)
    for lower, higher in itertools.pairwise(tiers):
        if lower.min_participants == higher.min_participants or higher.unit_price >= lower.unit_price:
            raise DomainError("gb_tiers_order")
    return tiers


def parse_count(text: str, low: int, high: int) -> int:
    value = text.strip()
    if not value.isdigit() or len(value) > 6:
        raise DomainError("gb_not_a_number")
    number = int(value)
    if not low <= number <= high:
        raise DomainError("gb_number_range", low=low, high=high)
    return number


# Longer words first: the alternation takes the first that matches ("min" before "m").
_DURATION_PART = re.compile(
    r"(\d+)\s*(weeks?|days?|hours?|hrs?|minutes?|mins?|w|d|h|m|周|天|日|小时|时|分钟|分)", re.IGNORECASE
)


_UNIT_SECONDS = {
    "w": 604800, "week": 604800, "weeks": 604800, "周": 604800,
    "d": 86400, "day": 86400, "days": 86400, "天": 86400, "日": 86400,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600, "小时": 3600, "时": 3600,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60, "分钟": 60, "分": 60,
}  # fmt: skip


_DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S")


# Longer than any caller allows (they refuse it as too far), short enough that `now + duration` is a date: a typed
# "99999999999999d" overflowed timedelta and crashed the wizard.
_LONGEST = timedelta(days=36500)


def parse_duration(text: str) -> timedelta | None:
    """`24h`, `1d12h`, `90 min`, `3天` -> a duration (at most _LONGEST); None when it is not one."""
    compact = text.strip().lower().replace(" ", "")
    if not compact:
        return None
    position, seconds = 0, 0
    for match in _DURATION_PART.finditer(compact):
        if match.start() != position:
            return None
        seconds += int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        position = match.end()
    if position != len(compact) or seconds == 0:
        return None
    return timedelta(seconds=min(seconds, int(_LONGEST.total_seconds())))


# The shortest group buy the wizard sets up (typed, presets, calendar): a shorter one ends before the group has
# seen its card. rules.MIN_DURATION (a minute) stays the floor for a choice that came closer while the leader
# finished the set-up (publish_deadline) or a button drawn earlier and tapped a little later. The refusals
# (errors.gb_deadline_too_soon, gb_deadline_past, gb_deadline_unit_m) say "1 hour": change them with it.
MIN_LEAD = timedelta(hours=1)

# Whole months only ("1mo", "2 months", "1个月"), as 30 days each; "月" alone is not one ("3月" is March).
_MONTHS = re.compile(r"^(\d+)(?:months?|mo|个月)$")


def _deadline_duration(text: str, max_days: int) -> timedelta | None:
    """parse_duration as a group buy reads it. A leading "m" ("1m", "90m") is refused rather than guessed: a
    leader may mean months by it (an outside tester typed "1m" for a month and got a buy that ended a minute
    later). After hours ("1h30m") it can only be minutes. The flash-sale steps keep "m" as minutes."""
    compact = text.strip().lower().replace(" ", "")
    months = _MONTHS.match(compact)
    duration = timedelta(days=30 * min(int(months.group(1)), 1200)) if months else parse_duration(compact)
    if months:
        return duration
    first = _DURATION_PART.match(compact)
    if duration is not None and first is not None and first.group(2) == "m":
        raise DomainError("gb_deadline_unit_m", value=text.strip(), days=max_days)
    return duration


def check_lead(deadline: datetime, now: datetime, max_days: int) -> None:
    """check_deadline with the wizard's minimum: at least MIN_LEAD ahead of `now`."""
    check_deadline(deadline, now, max_days)
    if deadline < now + MIN_LEAD:
        raise DomainError("gb_deadline_too_soon")


@dataclass(frozen=True)
class DeadlineChoice:
    """What the leader typed at the deadline step: a duration (counted from publishing, so a slow leader does
    not eat into it) or a moment in time."""

    duration: timedelta | None = None
    at: datetime | None = None

    def resolve(self, now: datetime) -> datetime:
        if self.duration is not None:
            return now + self.duration
        assert self.at is not None
        return self.at


def parse_deadline_choice(text: str, now: datetime, timezone: str, max_days: int) -> DeadlineChoice:
    """`24h`, `3d`, `1w`, `1d12h`, `90min`, `3天`, `2小时` (a duration) or a time in the shop's timezone like
    `2026-12-01 18:00` (UTC out), from MIN_LEAD to `max_days` after `now`."""
    duration = _deadline_duration(text, max_days)
    if duration is not None:
        if duration > timedelta(days=max_days):  # refused before `now + duration`, which may overflow the date
            raise DomainError("gb_deadline_too_far", days=max_days)
        check_lead(now + duration, now, max_days)
        return DeadlineChoice(duration=duration)
    value = " ".join(text.split())
    parsed = None
    for fmt in _DATETIME_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
            break
        except ValueError:
            continue
    if parsed is None:
        spoken = parse_spoken_time(text, now, timezone)  # "明天晚上8点", "tomorrow 8pm"
        if spoken is None:
            example = example_moment(now, timezone).astimezone(ZoneInfo(timezone))
            raise DomainError("gb_bad_deadline", example=example.strftime("%Y-%m-%d %H:%M"))
        check_lead(spoken, now, max_days)
        return DeadlineChoice(at=spoken)
    deadline = parsed.replace(tzinfo=ZoneInfo(timezone)).astimezone(now.tzinfo)
    check_lead(deadline, now, max_days)
    return DeadlineChoice(at=deadline)


def parse_deadline(text: str, now: datetime, timezone: str, max_days: int) -> datetime:
    """The deadline `text` means when published at `now`."""
    return parse_deadline_choice(text, now, timezone, max_days).resolve(now)


def publish_deadline(choice: DeadlineChoice, now: datetime, max_days: int) -> datetime:
    """The deadline of a buy published at `now`. Whatever the deadline step accepted is accepted here too: a
    duration counts from now; a time that came closer than the minimum lead while the leader finished the
    set-up moves to the minimum. Only a time that has already passed is refused (a buy that ends before anyone
    can see it helps nobody): the leader is asked for a new one."""
    if choice.duration is not None:
        duration = min(max(choice.duration, MIN_DURATION), timedelta(days=max_days))
        return now + duration
    if choice.at is None:
        raise DomainError("gb_deadline_missing")  # neither a duration nor a time: a set-up that lost its step
    if choice.at <= now:
        raise DomainError("gb_deadline_passed")
    return min(max(choice.at, now + MIN_DURATION), now + timedelta(days=max_days))


def clean_pickup_text(text: str) -> str:
    value = " ".join(text.split())
    if not PICKUP_TEXT_MIN <= len(value) <= PICKUP_TEXT_MAX or value.startswith("/"):
        raise DomainError("gb_bad_pickup", min=PICKUP_TEXT_MIN, max=PICKUP_TEXT_MAX)
    return value


def parse_contact(text: str, phone_region: str) -> orders.Contact:
    """`name, phone, address` in one message (checkout's rules for each part: the phone is read as the checkout
    reads it, `phone_region` for a number without country code)."""
    parts = [p.strip() for p in re.split(r"[,，]", text, maxsplit=2)]
    if len(parts) != 3:
        raise DomainError("gb_bad_contact")
    return orders.Contact(
        checkout.clean_name(parts[0]), checkout.clean_phone(parts[1], phone_region), checkout.clean_address(parts[2])
    )


# Tier presets the wizard offers as buttons: (people, percent off) steps, priced from the product's own price.
TIER_PRESETS: tuple[tuple[tuple[int, int], ...], ...] = (((3, 10), (10, 20)), ((3, 5), (5, 10)), ((5, 15),))


def tier_preset(base_price: int, index: int) -> tuple[Tier, ...]:
    return tuple(Tier(people, _percent_price(base_price, str(percent))) for people, percent in tier_steps(index))


def tier_steps(index: int) -> tuple[tuple[int, int], ...]:
    """Preset `index` as (people, percent off) pairs: where the wizard's tier editor starts."""
    if not 0 <= index < len(TIER_PRESETS):
        raise DomainError("bad_button")
    return TIER_PRESETS[index]


def tiers_from_steps(base_price: int, steps: Sequence[tuple[int, int]]) -> tuple[Tier, ...]:
    """Tiers from (people, percent off) pairs, as the wizard's buttons set them: each tier needs more people
    and gives a bigger discount than the one before, and every price stays above zero and below the regular
    price (a tiny price rounds a small discount away, or a large one down to nothing)."""
    if not 1 <= len(steps) <= MAX_TIERS:
        raise DomainError("gb_too_many_tiers", max=MAX_TIERS)
    tiers = []
    for people, percent in steps:
        if not 1 <= people <= MAX_PARTICIPANTS:
            raise DomainError("gb_tier_people_range", low=1, high=MAX_PARTICIPANTS)
        if not 0 < percent < 100:
            raise DomainError("gb_bad_percent")
        price = _percent_price(base_price, str(percent))
        if price <= 0:
            raise DomainError("gb_tier_price_zero")
        if price >= base_price:
            raise DomainError("gb_tier_discount_rounds_away")
        tiers.append(Tier(people, price))
    for (people, percent), (more_people, more_percent) in itertools.pairwise(steps):
        if more_people <= people:
            raise DomainError("gb_tiers_people_order")
        if more_percent <= percent:
            raise DomainError("gb_tiers_discount_order")
    for lower, higher in itertools.pairwise(tiers):
        if higher.unit_price >= lower.unit_price:
            raise DomainError("gb_tiers_order")
    return tuple(tiers)


# Deadline presets: tonight 20:00, tomorrow 12:00, or 48 hours from publishing. Once tonight's 20:00 is too close
# (or gone) "Tonight" is not offered: it would have meant tomorrow's 20:00, later than "Tomorrow 12:00" beside it;
# tomorrow's 20:00 is offered after the noon one instead.
DEADLINE_PRESETS = ("tonight", "noon", "evening", "48h")
EVENING_HOUR = 20


def _tonight(local: datetime) -> datetime:
    return local.replace(hour=EVENING_HOUR, minute=0, second=0, microsecond=0)


def deadline_presets(now: datetime, timezone: str) -> tuple[str, ...]:
    """The preset keys to offer at `now`, in order: "tonight" while it is at least MIN_LEAD ahead, else
    "evening". (A Tonight button drawn in time and tapped a little later is still taken: deadline_preset.)"""
    local = now.astimezone(ZoneInfo(timezone))
    if _tonight(local) >= local + MIN_LEAD:
        return ("tonight", "noon", "48h")
    return ("noon", "evening", "48h")


def deadline_preset(key: str, now: datetime, timezone: str) -> DeadlineChoice:
    if key == "48h":
        return DeadlineChoice(duration=timedelta(hours=48))
    local = now.astimezone(ZoneInfo(timezone))
    if key == "tonight":
        at = _tonight(local)
        if at < local + MIN_DURATION:
            # A button drawn before 20:00 and tapped after: it promised tonight, so it is not quietly tomorrow.
            raise DomainError("gb_preset_tonight_passed")
    elif key == "noon":
        at = (local + timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    elif key == "evening":
        at = _tonight(local + timedelta(days=1))
    else:
        raise DomainError("bad_button")
    return DeadlineChoice(at=at.astimezone(now.tzinfo))


@dataclass(frozen=True)
class GroupBuySpec:
    """What the leader chose in the wizard (already validated piece by piece; publish re-checks it all)."""

    chat_id: int
    product_id: int
    tiers: tuple[Tier, ...]
    min_participants: int
    max_participants: int | None
    per_person_limit: int
    deadline: datetime | None = None  # a moment chosen in the wizard...
    duration: timedelta | None = None  # ...or a duration, counted from publishing
    pickup_point: str | None = None
    message_thread_id: int | None = None
    lang: str = "en"
