"""Times as chats show them. Telegram does not tell a bot the user's time zone, and a shopper reads "22:05"
as their own clock: every time shown carries its zone ("22:05 UTC+8"), so nobody has to guess."""

from __future__ import annotations

from datetime import datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from store.spoken_time import example_moment


def zone_label(moment: datetime, timezone: str) -> str:
    """`UTC+8`, `UTC-3:30`, `UTC`: an offset reads the same in every language, unlike zone abbreviations."""
    offset = moment.astimezone(ZoneInfo(timezone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


@lru_cache(maxsize=4096)
def zoned(moment: datetime, timezone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`moment` on the shop's clock, with the zone named. Kept: a flash sale's storm quotes the same start time
    in thousands of answers a second (the conversion and formatting were 6% of a tap)."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local.strftime(fmt)} {zone_label(moment, timezone)}"


def typed_example(now: datetime, timezone: str, fmt: str) -> str:
    """An example of a typed time for a prompt or a refusal: tomorrow 20:00 on the shop's clock, so it is never a
    day already gone (a fixed date in a message goes stale)."""
    return example_moment(now, timezone).astimezone(ZoneInfo(timezone)).strftime(fmt)


def zoned_hours(hours: str, timezone: str, moment: datetime) -> str:
    """Opening hours as configured (`09:00-21:00`, the shop's clock) with the zone they are in on `moment`."""
    return f"{hours} {zone_label(moment, timezone)}"


def daily_at(hour: int, timezone: str, now: datetime) -> str:
    """A daily time on the shop's clock (`09:00 UTC+8`), the zone taken on today's occurrence (DST-safe)."""
    zone = ZoneInfo(timezone)
    moment = datetime.combine(now.astimezone(zone).date(), time(hour=hour), zone)
    return zoned(moment, timezone, "%H:%M")
