"""Which days a report covers, read the same way in chat and on the command line: a preset (today, the last 7
or 30 days, this month, last month) or two dates typed by a person ("2026-11-01 2026-11-30"). A bad period is
refused with a DomainError whose code names what is wrong, so each caller words it in its own language."""

from __future__ import annotations

import re
from datetime import date, timedelta

from store import typed_numbers
from store.analytics import Period
from store.errors import DomainError

MAX_DAYS = 366  # a year (leap day included): longer reports belong in an export, not a chat caption
PRESETS = ("today", "7d", "30d", "this_month", "last_month")

# A day as people type it: 2026-12-01, 2026/12/1, 2026.12.1 or 2026年12月1日 (after typed_numbers.fold, which
# turns full-width digits and punctuation into ASCII).
_DAY = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_DATE = re.compile(rf"^{_DAY}$")
# Two days, and what a person types between them: spaces, "..", "~" (～ on a Chinese keyboard), a dash or a hyphen
# (with or without spaces), "to", 至 / 到. A pattern for the whole text rather than a split on separators, so the
# hyphens inside each date stay apart from one between them ("2026-12-01-2026-12-08").
_TWO_DAYS = re.compile(rf"^({_DAY})\s*(?:\.\.|~|-|\bto\b|至|到)?\s*({_DAY})$", re.IGNORECASE)
# Presets a person may also type instead of tapping (lower-cased, spaces squeezed).
_TYPED_PRESETS = {
    "today": "today",
    "今天": "today",
    "7d": "7d",
    "7 days": "7d",
    "7天": "7d",
    "30d": "30d",
    "30 days": "30d",
    "30天": "30d",
    "this month": "this_month",
    "本月": "this_month",
    "last month": "last_month",
    "上月": "last_month",
    "上个月": "last_month",
}


def preset(name: str, today: date, timezone: str) -> Period:
    if name == "today":
        return Period(today, today, timezone)
    if name in ("7d", "30d"):
        return Period.last_days(int(name[:-1]), today, timezone)
    first_of_month = today.replace(day=1)
    if name == "this_month":
        return Period(first_of_month, today, timezone)
    if name == "last_month":
        last = first_of_month - timedelta(days=1)
        return Period(last.replace(day=1), last, timezone)
    raise DomainError("ops_period_format")


def parse_day(text: str) -> date:
    match = _DATE.match(typed_numbers.fold(text))
    if match is None:
        raise DomainError("ops_period_format")
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise DomainError("ops_period_bad_date", value=text.strip()) from None


def between(start: str | date, end: str | date, today: date, timezone: str) -> Period:
    """Two days, inclusive, checked: real dates, in order, not starting after today, at most MAX_DAYS long."""
    first = start if isinstance(start, date) else parse_day(start)
    last = end if isinstance(end, date) else parse_day(end)
    if last < first:
        raise DomainError("ops_period_order", start=first.isoformat(), end=last.isoformat())
    if first > today:
        raise DomainError("ops_period_future", today=today.isoformat())
    if (last - first).days + 1 > MAX_DAYS:
        raise DomainError("ops_period_too_long", max=MAX_DAYS)
    return Period(first, last, timezone)


def parse(text: str, today: date, timezone: str) -> Period:
    """A typed period: a preset's words, one day, or two days separated by a space, "..", "to" or similar."""
    cleaned = typed_numbers.fold(text).lower()
    if cleaned in _TYPED_PRESETS:
        return preset(_TYPED_PRESETS[cleaned], today, timezone)
    two = _TWO_DAYS.match(cleaned)
    if two is not None:
        return between(two.group(1), two.group(5), today, timezone)
    if _DATE.match(cleaned):
        return between(cleaned, cleaned, today, timezone)
    raise DomainError("ops_period_format")
