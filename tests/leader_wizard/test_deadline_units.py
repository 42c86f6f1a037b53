"""Outside tester: a group-buy deadline typed as "1m" was taken as one minute (the tester meant a month), so the
buy ended a minute after it was published. The deadline step now refuses a lone "m" (minutes or months?), reads
"min" and "mo" as written, and refuses anything under an hour, typed (English or Chinese, a duration or a time)
or offered as a preset. Pure functions on a fixed clock; the refusals are read in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.views.errors import error_text
from store import groupbuy
from store.errors import DomainError
from store.groupbuy import DeadlineChoice

ZONE = "Asia/Shanghai"
# 10:00 in the shop (UTC+8), Wednesday 30 December 2026.
MORNING = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)


def refusal(text: str, now: datetime = MORNING) -> DomainError:
    with pytest.raises(DomainError) as refused:
        groupbuy.parse_deadline_choice(text, now, ZONE, 14)
    return refused.value


@pytest.mark.parametrize("typed", ["1m", "90m", "1 M", "2m"])
def test_a_lone_m_is_asked_about_not_read_as_minutes(typed: str) -> None:
    refused = refusal(typed)
    assert refused.code == "gb_deadline_unit_m", refused
    en, zh = error_text("en", refused), error_text("zh", refused)
    assert "minutes or months" in en and typed in en, en
    assert "1 hour to 14 days" in en and "<code>2h</code>" in en, en
    assert "分钟还是月" in zh and "1 小时到 14 天" in zh and "<code>2小时</code>" in zh, zh


@pytest.mark.parametrize("typed", ["1min", "45 min", "59minutes", "30分钟", "45分", "2026-12-30 10:30", "今天10点半"])
def test_less_than_an_hour_is_refused_with_what_is_accepted(typed: str) -> None:
    refused = refusal(typed)
    assert refused.code == "gb_deadline_too_soon", (typed, refused)
    en, zh = error_text("en", refused), error_text("zh", refused)
    assert "at least 1 hour" in en and "2h" in en and "3d" in en, en
    assert "至少 1 小时" in zh and "2小时" in zh and "3天" in zh, zh


@pytest.mark.parametrize(
    ("typed", "length"),
    [
        ("1h", timedelta(hours=1)),
        ("60min", timedelta(hours=1)),
        ("90 min", timedelta(minutes=90)),
        ("1h30m", timedelta(minutes=90)),  # after hours, "m" can only be minutes
        ("2小时", timedelta(hours=2)),
        ("3天", timedelta(days=3)),
        ("1周", timedelta(weeks=1)),
        ("2d", timedelta(days=2)),
    ],
)
def test_durations_from_an_hour_are_taken(typed: str, length: timedelta) -> None:
    assert groupbuy.parse_deadline_choice(typed, MORNING, ZONE, 14) == DeadlineChoice(duration=length)


@pytest.mark.parametrize("typed", ["1mo", "2 months", "1个月", "99999999999999d"])
def test_months_are_months_and_too_long(typed: str) -> None:
    refused = refusal(typed)
    assert refused.code == "gb_deadline_too_far", (typed, refused)
    assert "at most 14 days" in error_text("en", refused)


def test_months_fit_a_shop_that_allows_them() -> None:
    choice = groupbuy.parse_deadline_choice("1mo", MORNING, ZONE, 45)
    assert choice == DeadlineChoice(duration=timedelta(days=30))


def test_a_time_in_the_past_says_so_and_names_the_minimum() -> None:
    refused = refusal("2026-12-30 09:00")
    assert refused.code == "gb_deadline_past"
    assert "at least 1 hour from now" in error_text("en", refused)
    assert "至少 1 小时之后" in error_text("zh", refused)


def test_tonight_is_offered_only_while_it_is_an_hour_ahead() -> None:
    at_1859 = datetime(2026, 12, 30, 10, 59, tzinfo=UTC)  # 18:59 in the shop
    at_1930 = datetime(2026, 12, 30, 11, 30, tzinfo=UTC)  # 19:30: tonight's 20:00 is half an hour away
    assert groupbuy.deadline_presets(at_1859, ZONE)[0] == "tonight"
    assert groupbuy.deadline_presets(at_1930, ZONE) == ("noon", "evening", "48h")
