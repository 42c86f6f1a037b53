"""Conversation states of group buys: the leader's set-up wizard (private chat) and a participant typing a
delivery contact. The data gathered so far lives in the FSM data (persisted by bot.fsm_storage)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.fsm.state import State, StatesGroup

from store.errors import DomainError
from store.groupbuy.parsing import MIN_LEAD


class GroupBuyWizard(StatesGroup):
    product = State()
    tiers = State()
    counts = State()  # minimum, maximum and per-person limit on one screen
    deadline = State()
    pickup = State()
    confirm = State()


class ParticipantContact(StatesGroup):
    contact = State()


# Wizard steps in order, with the FSM-data key each one fills.
STEPS: tuple[tuple[State, str], ...] = (
    (GroupBuyWizard.product, "product_id"),
    (GroupBuyWizard.tiers, "tiers"),
    (GroupBuyWizard.counts, "minimum"),  # with "maximum" and "limit"
    (GroupBuyWizard.deadline, "deadline"),
    (GroupBuyWizard.pickup, "pickup"),
    (GroupBuyWizard.confirm, ""),
)


def next_state(current: State) -> State:
    states = [state for state, _ in STEPS]
    return states[min(states.index(current) + 1, len(states) - 1)]


# The steps whose question carries a «Back», and where it leads. Earlier steps have their own ways back (the
# counts' «Back to the prices», the tier editor's presets).
BACK_TO: dict[str, str] = {"deadline": "counts", "pickup": "deadline", "confirm": "pickup"}


def previous_step(step: str, *, pickup_skipped: bool) -> str | None:
    """The step a «Back» on `step` returns to, None when `step` has no such button. The preview goes back to the
    deadline when the pickup question was never asked (the shop's only point, or none, was taken)."""
    if step == "confirm" and pickup_skipped:
        return "deadline"
    return BACK_TO.get(step)


# ---------------------------------------------------------------------------------------------- tier editor
# The editor keeps tiers as (people, percent off) pairs in the FSM data under "tier_steps". Each button carries
# the value it sets (not "+1"), so a double tap sets the same value twice instead of moving two steps.

PERCENT_STEP = 5
Steps = tuple[tuple[int, int], ...]


def steps_from_data(raw: Any) -> Steps:
    return tuple((int(people), int(percent)) for people, percent in raw or ())


def set_people(steps: Steps, index: int, people: int) -> Steps:
    _check_index(steps, index)
    return tuple((people, pct) if i == index else (n, pct) for i, (n, pct) in enumerate(steps))


def set_percent(steps: Steps, index: int, percent: int) -> Steps:
    _check_index(steps, index)
    return tuple((n, percent) if i == index else (n, pct) for i, (n, pct) in enumerate(steps))


def add_tier(steps: Steps, count: int) -> Steps:
    """A tier after the last one (more people, a bigger discount); `count` is how many tiers the tapped screen
    showed, so a second tap of the same button adds nothing."""
    if count != len(steps):
        return steps
    people, percent = steps[-1] if steps else (1, 0)
    return (*steps, (people + max(people, 2), percent + PERCENT_STEP))


def remove_tier(steps: Steps, count: int) -> Steps:
    if count != len(steps) or len(steps) <= 1:
        return steps
    return steps[:-1]


def adjust(steps: Steps, action: str, value: str) -> Steps:
    """A tap of the tier editor, wherever it is shown (the set-up wizard, a published buy's price edit): ta / tr
    add or remove the last tier (`value`: how many tiers the tapped screen showed), tn / td set a tier's people
    or percent off (`value`: "index.number")."""
    if action in ("ta", "tr"):
        if not value.isdigit():
            raise DomainError("bad_button")
        count = int(value)
        return add_tier(steps, count) if action == "ta" else remove_tier(steps, count)
    if action not in ("tn", "td"):
        raise DomainError("bad_button")
    index, _, number = value.partition(".")
    if not index.isdigit() or not number.lstrip("-").isdigit() or len(number) > 6:
        raise DomainError("bad_button")
    setter = set_people if action == "tn" else set_percent
    return setter(steps, int(index), int(number))


def _check_index(steps: Steps, index: int) -> None:
    if not 0 <= index < len(steps):
        raise DomainError("bad_button")


# ---------------------------------------------------------------------------------------------- calendar
# Days and hours are the shop's: a deadline picked on the calendar is a wall-clock hour in shop.timezone.


def deadline_days(now: datetime, timezone: str, max_days: int) -> tuple[date, date]:
    """The first and last day (shop time) on which a deadline may fall. The first is today only while one of
    today's hours is still open: late in the evening a tap on today would lead to an hour picker with no hour."""
    zone = ZoneInfo(timezone)
    first = (now + MIN_LEAD).astimezone(zone).date()
    if not open_hours(first, now, timezone, max_days):
        first += timedelta(days=1)
    return first, (now + timedelta(days=max_days)).astimezone(zone).date()


def check_day(day: date, now: datetime, timezone: str, max_days: int) -> None:
    first, last = deadline_days(now, timezone, max_days)
    if day < first:
        raise DomainError("gb_day_past")
    if day > last:
        raise DomainError("gb_deadline_too_far", days=max_days)


def deadline_at(day: date, hour: int, timezone: str) -> datetime:
    """`hour`:00 on `day` in the shop's zone, in UTC."""
    if not 0 <= hour <= 23:
        raise DomainError("bad_button")
    local = datetime.combine(day, time(hour), tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)


def open_hours(day: date, now: datetime, timezone: str, max_days: int) -> frozenset[int]:
    """The hours of `day` (shop time) a deadline may take: at least MIN_LEAD ahead (as a typed deadline), not
    beyond the maximum."""
    earliest, latest = now + MIN_LEAD, now + timedelta(days=max_days)
    return frozenset(hour for hour in range(24) if earliest <= deadline_at(day, hour, timezone) <= latest)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise DomainError("bad_button") from exc


def parse_month(text: str) -> date:
    """`2026-12` to the first of that month."""
    return parse_day(f"{text}-01")
