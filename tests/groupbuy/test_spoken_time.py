"""Times typed the way people say them (D19: "明天晚上8点" was refused at the group-buy deadline step), read in
the shop's timezone; anything that is not plainly one of the shapes is None (the caller's own message)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store.flashsale.parsing import parse_time
from store.groupbuy.parsing import parse_deadline_choice
from store.spoken_time import parse_spoken_time

TZ = "Asia/Shanghai"
# Wednesday 2 December 2026, 10:00 in the shop (02:00 UTC).
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def local(text: str) -> str | None:
    at = parse_spoken_time(text, NOW, TZ)
    return None if at is None else at.astimezone(ZoneInfo(TZ)).strftime("%a %m-%d %H:%M")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("明天晚上8点", "Thu 12-03 20:00"),
        ("明天 晚上 8 点", None),  # a space inside "8 点" is not a shape we read
        ("明晚八点半", "Thu 12-03 20:30"),
        ("今晚8点", "Wed 12-02 20:00"),
        ("今天下午3点15分", "Wed 12-02 15:15"),
        ("后天中午12点", "Fri 12-04 12:00"),
        ("后天中午", "Fri 12-04 12:00"),
        ("明天中午1点", "Thu 12-03 13:00"),
        ("明天上午十点", "Thu 12-03 10:00"),
        ("明天早上8点", "Thu 12-03 08:00"),
        ("明天20:00", "Thu 12-03 20:00"),
        ("明天２０：００", "Thu 12-03 20:00"),
        ("周五下午3点", "Fri 12-04 15:00"),
        ("星期三晚上9点", "Wed 12-02 21:00"),
        ("星期三早上9点", "Wed 12-09 09:00"),  # this morning's 9:00 has passed: next Wednesday
        ("下周五18点", "Fri 12-11 18:00"),
        ("8点", "Wed 12-02 08:00"),
        ("二十点", "Wed 12-02 20:00"),
        ("tomorrow 8pm", "Thu 12-03 20:00"),
        ("Tomorrow 8:30 pm", "Thu 12-03 20:30"),
        ("tomorrow at 8 in the evening", "Thu 12-03 20:00"),
        ("tomorrow 20:00", "Thu 12-03 20:00"),
        ("tonight 9", "Wed 12-02 21:00"),
        ("tomorrow noon", "Thu 12-03 12:00"),
        ("tomorrow 12am", "Thu 12-03 00:00"),
        ("fri 18:00", "Fri 12-04 18:00"),
        ("friday 6pm", "Fri 12-04 18:00"),
        ("wed 9am", "Wed 12-09 09:00"),
        ("day after tomorrow 7pm", "Fri 12-04 19:00"),
        ("20:00", None),  # the callers' own format
        ("8pm", "Wed 12-02 20:00"),
        ("tomorrow", None),
        ("明天", None),
        ("明天25点", None),
        ("tomorrow 20pm", "Thu 12-03 20:00"),  # 20 o'clock said twice
        ("tomorrow 20am", None),
        ("soon", None),
        ("", None),
    ],
)
def test_spoken_times(text: str, expected: str | None) -> None:
    assert local(text) == expected


@given(st.text(max_size=60))
def test_any_text_is_a_time_or_none(text: str) -> None:
    at = parse_spoken_time(text, NOW, TZ)
    assert at is None or at.tzinfo is not None


def test_the_group_buy_deadline_and_the_flash_start_read_them() -> None:
    choice = parse_deadline_choice("明天晚上8点", NOW, TZ, max_days=14)
    assert choice.at == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert parse_time("tomorrow 8pm", NOW, TZ) == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert parse_time("20:00", NOW, TZ) == datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # unchanged


# Tester: typed on Sunday 6 December, "下周五" meant 18 December. Weeks start on Monday (as in China): next
# week's Friday is 11 December on Sunday the 6th and 18 December on Monday the 7th; "周五" alone is the coming one.
SUNDAY = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)  # 10:00 in the shop
MONDAY = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text,on_sunday,on_monday",
    [
        ("下周五18点", "Fri 12-11 18:00", "Fri 12-18 18:00"),
        ("下周五晚上8点", "Fri 12-11 20:00", "Fri 12-18 20:00"),
        ("下星期五下午3点", "Fri 12-11 15:00", "Fri 12-18 15:00"),
        ("下礼拜五18点", "Fri 12-11 18:00", "Fri 12-18 18:00"),
        ("next friday 6pm", "Fri 12-11 18:00", "Fri 12-18 18:00"),
        ("Next Fri 18:00", "Fri 12-11 18:00", "Fri 12-18 18:00"),
        ("下周一9点", "Mon 12-07 09:00", "Mon 12-14 09:00"),
        ("下周二9点", "Tue 12-08 09:00", "Tue 12-15 09:00"),
        ("下周三9点", "Wed 12-09 09:00", "Wed 12-16 09:00"),
        ("下周四9点", "Thu 12-10 09:00", "Thu 12-17 09:00"),
        ("下周六9点", "Sat 12-12 09:00", "Sat 12-19 09:00"),
        ("下周日9点", "Sun 12-13 09:00", "Sun 12-20 09:00"),
        ("下周天9点", "Sun 12-13 09:00", "Sun 12-20 09:00"),
        ("next monday 9am", "Mon 12-07 09:00", "Mon 12-14 09:00"),
        ("next sunday 9am", "Sun 12-13 09:00", "Sun 12-20 09:00"),
        ("下下周五18点", "Fri 12-18 18:00", "Fri 12-25 18:00"),
        # The coming one, as before.
        ("周五18点", "Fri 12-11 18:00", "Fri 12-11 18:00"),
        ("friday 6pm", "Fri 12-11 18:00", "Fri 12-11 18:00"),
        ("this friday 6pm", "Fri 12-11 18:00", "Fri 12-11 18:00"),
        ("周一9点", "Mon 12-07 09:00", "Mon 12-14 09:00"),  # Monday 9:00 has passed by 10:00 on Monday
        ("周一下午3点", "Mon 12-07 15:00", "Mon 12-07 15:00"),
        ("周日9点", "Sun 12-13 09:00", "Sun 12-13 09:00"),
        ("next 6pm", None, None),
        ("下周五", None, None),  # a day without a time is not a moment
    ],
)
def test_next_week_is_the_next_calendar_week(text: str, on_sunday: str | None, on_monday: str | None) -> None:
    def read(now: datetime) -> str | None:
        at = parse_spoken_time(text, now, TZ)
        return None if at is None else at.astimezone(ZoneInfo(TZ)).strftime("%a %m-%d %H:%M")

    assert (read(SUNDAY), read(MONDAY)) == (on_sunday, on_monday)


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)))
def test_the_example_in_a_refusal_is_always_ahead(now: datetime) -> None:
    """Refusals show "tomorrow 20:00" in shop time, read back as the time it names, never one already gone."""
    from store.errors import DomainError
    from store.spoken_time import example_moment

    for zone in (TZ, "America/New_York", "UTC"):
        assert example_moment(now, zone) > now
        with pytest.raises(DomainError) as gb:
            parse_deadline_choice("whenever", now, zone, max_days=14)
        assert parse_deadline_choice(str(gb.value.params["example"]), now, zone, max_days=14).at == example_moment(
            now, zone
        )
        with pytest.raises(DomainError) as flash:
            parse_time("whenever", now, zone)
        assert parse_time(str(flash.value.params["example"]), now, zone) == example_moment(now, zone)
