"""Parsing an admin's times and group lists (`/flash_create start=+10m groups=all`)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from store.errors import DomainError
from store.spoken_time import example_moment, parse_spoken_time

_RELATIVE = re.compile(r"^\+?\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?$")
_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%m-%d %H:%M", "%H:%M")


def parse_time(text: str, now: datetime, timezone: str) -> datetime:
    """`now`, `+10m`, `1h30m` (from now), an ISO time with an offset, or a local time in the shop's timezone
    (`2026-12-01 20:00`, `12-01 20:00`, `20:00` = today). Returns UTC-aware."""
    value = " ".join(text.strip().split())
    if value.lower() == "now":
        return now
    match = _RELATIVE.match(value.lower())
    if match and any(match.groups()):
        d, h, m, s = (int(g or 0) for g in match.groups())
        return now + timedelta(days=d, hours=h, minutes=m, seconds=s)
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is not None:
            return parsed.astimezone(now.tzinfo)
    except ValueError:
        parsed = None
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    for fmt in _FORMATS:
        try:
            candidate = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if fmt == "%H:%M":
            candidate = candidate.replace(year=local_now.year, month=local_now.month, day=local_now.day)
        elif fmt == "%m-%d %H:%M":
            candidate = candidate.replace(year=local_now.year)
        parsed = candidate
        break
    if parsed is None:
        spoken = parse_spoken_time(text, now, timezone)  # "tomorrow 8pm", "明天晚上8点"
        if spoken is None:
            example = example_moment(now, timezone).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
            raise DomainError("flash_bad_time", value=text[:40], example=example)
        return spoken
    return parsed.replace(tzinfo=zone).astimezone(now.tzinfo)


def parse_groups(text: str | None) -> tuple[int, ...] | None:
    """`all` (None) or comma-separated chat ids."""
    if text is None or text.strip().lower() in ("", "all"):
        return None
    try:
        ids = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError as exc:
        raise DomainError("flash_bad_groups", value=text[:40]) from exc
    if not ids:
        return None
    return ids
