"""Times as people type them, in English and Chinese: "tomorrow 8pm", "tonight 20:30", "fri 18:00",
"明天晚上8点", "今晚八点半", "后天中午12点", "周五下午3点". A day word (or none: today), an optional part of the
day, and a time of day; read in the shop's timezone, returned in UTC. Anything else is None, so the caller's
own formats and error message still apply.

A small grammar rather than a general date parser: staff type these few shapes at a deadline or start step,
and a wrong guess here would silently set the wrong time, so what is not plainly one of them is refused."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip

# Day words: days after today, and whether the word itself says "evening" (tonight, 今晚).
_DAYS = {
    "today": (0, False), "tonight": (0, True), "tomorrow": (1, False), "tmr": (1, False), "tmrw": (1, False),
    "day after tomorrow": (2, False),
    "今天": (0, False), "今日": (0, False), "今晚": (0, True), "今夜": (0, True), "明天": (1, False),
    "明日": (1, False), "明晚": (1, True), "后天": (2, False), "後天": (2, False), "后晚": (2, True),
}  # fmt: skip
_WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2, "thu": 3, "thur": 3,
    "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip
# 下周五 is Friday of next calendar week (weeks start on Monday, as in China), 下下周五 the week after; 周五 alone
# is the coming Friday. English "next friday" reads as 下周五, "this friday" as 周五.
_CN_WEEKDAY = re.compile(r"^(下下|下)?(?:周|星期|礼拜)([一二三四五六日天])")
_WEEKS_AHEAD = {"": 0, "this": 0, "next": 1, "下": 1, "下下": 2}
_CN_WEEKDAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}

# Parts of the day: "pm" moves 1-11 o'clock to the afternoon; "am" moves 12 to midnight; noon keeps 12.
_PM = (
    "pm", "p.m.", "evening", "in the evening", "night", "at night", "afternoon", "in the afternoon",
    "下午", "晚上", "傍晚", "夜里", "晚",
)  # fmt: skip
_AM = ("am", "a.m.", "morning", "in the morning", "早上", "上午", "早晨", "清晨", "凌晨", "早")
_NOON = ("noon", "midday", "中午")

_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?$")
_CN_NUMBER = "[0-9零〇一二两三四五六七八九十]{1,3}"
_CN_CLOCK = re.compile(rf"^({_CN_NUMBER})[点點时時](?:(半)|({_CN_NUMBER})分?)?$")


def _cn_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if "十" in text:
        tens, _, units = text.partition("十")
        high = _CN_DIGITS.get(tens, -1) if tens else 1
        low = _CN_DIGITS.get(units, -1) if units else 0
        return None if high < 0 or low < 0 else high * 10 + low
    if len(text) == 1 and text in _CN_DIGITS:
        return _CN_DIGITS[text]
    if all(ch in _CN_DIGITS for ch in text):  # 〇五 as in 8点〇五
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    return None


def _normalise(text: str) -> str:
    value = text.strip().lower().translate(str.maketrans("０１２３４５６７８９：", "0123456789:"))
    return " ".join(value.split())


def _weekday(today: date, weekday: int, weeks_ahead: int) -> date:
    """The coming `weekday` (today's included) when `weeks_ahead` is 0; else that weekday in the calendar week
    `weeks_ahead` weeks after this one (Monday to Sunday): on Sunday 6 December, next Friday is 11 December."""
    if weeks_ahead == 0:
        return today + timedelta(days=(weekday - today.weekday()) % 7)
    monday = today - timedelta(days=today.weekday())
    return monday + timedelta(weeks=weeks_ahead, days=weekday)


def _take_day(value: str, today: date) -> tuple[date | None, bool, bool, str]:
    """(the day, whether the day word means evening, whether it is a coming weekday that moves on a week once its
    time has passed, the rest); day None when no day word starts the text."""
    for word in sorted(_DAYS, key=len, reverse=True):
        if value.startswith(word):
            offset, evening = _DAYS[word]
            return today + timedelta(days=offset), evening, False, value[len(word) :].strip()
    found = _CN_WEEKDAY.match(value)
    if found:
        weeks = _WEEKS_AHEAD[found.group(1) or ""]
        day = _weekday(today, _CN_WEEKDAY_INDEX[found.group(2)], weeks)
        return day, False, weeks == 0, value[found.end() :].strip()
    head, _, rest = value.partition(" ")
    weeks = 0
    if head in ("this", "next"):
        weeks = _WEEKS_AHEAD[head]
        head, _, rest = rest.partition(" ")
    if head.rstrip(".,") in _WEEKDAYS:
        day = _weekday(today, _WEEKDAYS[head.rstrip(".,")], weeks)
        return day, False, weeks == 0, rest.strip()
    return None, False, False, value


def _take_part(value: str) -> tuple[str | None, str]:
    """The part of the day before or after the time ("晚上8点", "8 pm", "8 in the evening")."""
    for kind, words in (("pm", _PM), ("am", _AM), ("noon", _NOON)):
        for word in sorted(words, key=len, reverse=True):
            if value.startswith(word):
                return kind, value[len(word) :].strip()
            if value.endswith(word) and len(value) > len(word):
                return kind, value[: -len(word)].strip()
    return None, value


def _take_clock(value: str) -> tuple[int, int] | None:
    value = value.removeprefix("at ").strip()
    found = _CLOCK.match(value)
    if found:
        return int(found.group(1)), int(found.group(2) or 0)
    found = _CN_CLOCK.match(value)
    if found:
        hour = _cn_number(found.group(1))
        minute = 30 if found.group(2) else (_cn_number(found.group(3)) if found.group(3) else 0)
        if hour is None or minute is None:
            return None
        return hour, minute
    return None


def parse_spoken_time(text: str, now: datetime, timezone: str) -> datetime | None:
    """The moment `text` names, read in `timezone` around `now` (UTC-aware in and out); None when it is not one of
    the shapes above. A weekday alone means its next occurrence (today's when that time is still ahead); "next" or
    下 before it means that weekday in next calendar week."""
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    value = _normalise(text)
    day, evening, coming, rest = _take_day(value, local_now.date())
    part, rest = _take_part(rest)
    if not rest and part == "noon":
        clock: tuple[int, int] | None = (12, 0)
    else:
        clock = _take_clock(rest)
    if clock is None or (day is None and part is None and not _CN_CLOCK.match(rest.removeprefix("at ").strip())):
        return None  # a bare "20:00" is the caller's own format; only spoken shapes are read here
    hour, minute = clock
    if part is None and evening:
        part = "pm"
    if not (0 <= hour <= 24 and 0 <= minute <= 59) or (hour == 24 and minute):
        return None
    if part == "pm" and 1 <= hour <= 11:
        hour += 12
    elif part == "am" and hour == 12:
        hour = 0
    elif part == "noon" and 1 <= hour <= 2:
        hour += 12  # 中午1点
    elif part == "am" and hour > 12:
        return None  # "8 am" is a time, "20 am" is not
    base = day or local_now.date()
    if hour == 24:
        base, hour = base + timedelta(days=1), 0
    moment = datetime.combine(base, time(hour, minute), tzinfo=zone)
    if coming and moment <= local_now:
        moment += timedelta(days=7)  # "fri 9am" on Friday at noon: next Friday
    return moment.astimezone(now.tzinfo)


def example_moment(now: datetime, timezone: str) -> datetime:
    """A moment a refusal can show as an example of a typed time: tomorrow at 20:00 in the shop's timezone,
    always ahead of `now` (a fixed date in a message goes stale, and an example in the past is refused itself)."""
    zone = ZoneInfo(timezone)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(20, 0), tzinfo=zone).astimezone(now.tzinfo)
