"""Outside tester: late in the evening (shop time) the deadline calendar still offered today, though no hour of
today could end a buy any more, so tapping it led to an hour picker with nothing to pick. Today is offered only
while one of its hours is at least the wizard's minimum (an hour) ahead, and the hour picker offers no hour
closer than that. Pure functions on a fixed clock, in the shop's timezone (Asia/Shanghai, UTC+8)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dialogues import groupbuy_wizard as wizard
from store.errors import DomainError

ZONE = "Asia/Shanghai"
TODAY, TOMORROW, LAST = date(2027, 3, 10), date(2027, 3, 11), date(2027, 3, 24)


def shop_time(hour: int, minute: int) -> datetime:
    """`hour`:`minute` on Wednesday 10 March 2027 in the shop, as UTC."""
    return datetime(2027, 3, 10, hour - 8, minute, tzinfo=UTC)


@pytest.mark.parametrize(("hour", "minute"), [(23, 30), (23, 0), (22, 30), (22, 1)])
def test_late_in_the_evening_the_calendar_starts_tomorrow(hour: int, minute: int) -> None:
    now = shop_time(hour, minute)
    assert wizard.open_hours(TODAY, now, ZONE, 14) == frozenset(), "no hour of today is an hour ahead"
    assert wizard.deadline_days(now, ZONE, 14) == (TOMORROW, LAST)
    with pytest.raises(DomainError) as refused:
        wizard.check_day(TODAY, now, ZONE, 14)  # a calendar drawn earlier, today tapped now
    assert refused.value.code == "gb_day_past"


def test_today_stays_while_an_hour_of_it_is_an_hour_ahead() -> None:
    now = shop_time(22, 0)  # 23:00 is exactly an hour ahead
    assert wizard.deadline_days(now, ZONE, 14) == (TODAY, LAST)
    assert wizard.open_hours(TODAY, now, ZONE, 14) == frozenset({23})


def test_todays_hours_closer_than_an_hour_are_not_offered() -> None:
    now = shop_time(10, 20)
    assert wizard.deadline_days(now, ZONE, 14) == (TODAY, LAST)
    assert wizard.open_hours(TODAY, now, ZONE, 14) == frozenset(range(12, 24)), "11:00 is only 40 minutes ahead"
    assert wizard.open_hours(TOMORROW, now, ZONE, 14) == frozenset(range(24))
