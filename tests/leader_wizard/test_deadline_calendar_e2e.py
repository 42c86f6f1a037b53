"""Outside tester: at 23:30 shop time the deadline calendar offered today; tapping it showed only struck-through
hours. A leader new to the bot, in English or Chinese, late in the evening gets a calendar that starts tomorrow
(today shown struck through, and explained when tapped); in the morning, today's hours less than an hour ahead
are struck through and the first open one can be picked. Real bot, emulator, on fixed clocks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.emulator.client import UserHandle
from tests.leader_wizard.test_deadline_typed_e2e import leader_at_deadline
from tests.shop_clock import shop_fixture_at
from tests.staff.test_groupbuy_wizard_e2e import labels, text_of
from tests.staff.test_wizard_buttons_e2e import alert_after, struck, struck_hour

# Wednesday 10 March 2027 in the shop (Asia/Shanghai, UTC+8).
late_evening = shop_fixture_at(datetime(2027, 3, 10, 15, 30, tzinfo=UTC))  # 23:30
half_past_ten = shop_fixture_at(datetime(2027, 3, 10, 14, 30, tzinfo=UTC))  # 22:30: 23:00 is too close
morning = shop_fixture_at(datetime(2027, 3, 10, 2, 20, tzinfo=UTC))  # 10:20

CALENDAR = {"en": "Pick a day and hour", "zh": "选择日期和时间"}


async def _calendar(shop: Any, name: str, lang: str) -> UserHandle:
    """A user the bot has never seen, made a leader, looking at the deadline calendar."""
    leader = await leader_at_deadline(shop, name, lang)
    await leader.tap(CALENDAR[lang])
    return leader


async def _starts_tomorrow(shop: Any, name: str, lang: str, passed: str) -> None:
    leader = await _calendar(shop, name, lang)
    month = await leader.last_message()
    shown = labels(month)
    assert "11" in shown, shown
    assert "10" not in shown and struck(10) in shown, "today has no hour an hour ahead: not offered"
    assert "2027-03-11" in text_of(month) and "2027-03-10" not in text_of(month), text_of(month)
    reason = await alert_after(leader, shop, label=struck(10))
    assert passed in reason, reason


async def test_at_half_past_eleven_the_calendar_starts_tomorrow(late_evening: Any) -> None:
    await _starts_tomorrow(late_evening, "Lena", "en", "has passed")


async def test_at_half_past_ten_the_calendar_starts_tomorrow_in_chinese(half_past_ten: Any) -> None:
    await _starts_tomorrow(half_past_ten, "李雷", "zh", "已过")


async def test_todays_hours_less_than_an_hour_ahead_are_not_offered(morning: Any) -> None:
    lena = await _calendar(morning, "Lena", "en")
    await lena.tap("10")  # today
    hours = labels(await lena.last_message())
    assert struck_hour(10) in hours and struck_hour(11) in hours, "11:00 is only 40 minutes ahead"
    assert "11:00" not in hours and "12:00" in hours, hours
    await lena.tap("12:00")
    await lena.tap("No pickup point")
    assert "Ends: 2027-03-10 12:00 UTC+8" in text_of(await lena.last_message())
