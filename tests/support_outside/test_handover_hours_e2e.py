"""An outside tester at 05:56 shop time (support hours 09:00-21:00 UTC+8): "I want to talk to a human" was told
"A person from our team will reply right here", and in Chinese "好的，马上为您转接人工客服～" (right away). Outside
the hours the bot now says plainly that the team is offline, when it answers again (09:00 today, or tomorrow
after 21:00, shop time) and that the message is kept for them; inside the hours the wording is today's. English
and Chinese; real bot, emulator, the wall clock moved the way tests/shop_clock.py does."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import t_plain
from store import support
from tests.support.test_e2e import _last
from tests.support_outside.conftest import desk_at

SHOP_TZ = ZoneInfo("Asia/Shanghai")
early = desk_at(datetime(2026, 12, 8, 5, 56, tzinfo=SHOP_TZ))
late = desk_at(datetime(2026, 12, 8, 22, 30, tzinfo=SHOP_TZ))
daytime = desk_at(datetime(2026, 12, 8, 14, 0, tzinfo=SHOP_TZ))

ASK = {"en": ("Alice", "I want to talk to a human"), "zh": ("李雷", "我要转人工")}
PERSON_NOW = {"en": "A person from our team will reply right here", "zh": "马上"}


async def _hand_over(stack: Any, lang: str) -> str:
    who, ask = ASK[lang]
    shopper = stack.people[who]
    await shopper.send("/start")
    await shopper.send(ask)
    assert await support.active_ticket(stack.db, shopper.id) is not None, "the request is kept for the team"
    return (await _last(shopper)).text or ""


def _offline_wording(text: str, lang: str, day: str) -> None:
    assert PERSON_NOW[lang] not in text, text
    offline = t_plain(
        lang,
        "support.ticket.opened_offline",
        intro="",
        opens="09:00 UTC+8",
        day=t_plain(lang, f"support.ticket.opens_{day}"),
    ).strip()
    assert text.endswith(offline), text
    assert "09:00-21:00 UTC+8" in text, "the support hours are still named"


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_before_opening_the_team_answers_from_nine_today(early: Any, lang: str) -> None:
    _offline_wording(await _hand_over(early, lang), lang, "today")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_after_closing_the_team_answers_from_nine_tomorrow(late: Any, lang: str) -> None:
    _offline_wording(await _hand_over(late, lang), lang, "tomorrow")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_inside_the_hours_a_person_replies_here(daytime: Any, lang: str) -> None:
    text = await _hand_over(daytime, lang)
    ending = t_plain(lang, "support.ticket.opened", intro="").strip()
    assert text.endswith(ending), text
    assert "马上" not in text and t_plain(lang, "support.ticket.opens_today") not in text


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_support_command_says_the_same_outside_the_hours(early: Any, lang: str) -> None:
    # /support, the «Talk to a human» button and an order's "Return or refund" open the ticket through the same
    # place (bot.support_desk.open_ticket_for), so they tell the same truth about the hours.
    who, _ask = ASK[lang]
    shopper = early.people[who]
    await shopper.send("/start")
    await shopper.send("/support")
    assert await support.active_ticket(early.db, shopper.id) is not None
    _offline_wording((await _last(shopper)).text or "", lang, "today")
