"""A check-in question is answered with the shopper's own day: someone who already checked in today is not told
to "send /checkin today" (the outside tester got exactly that a minute after checking in; /checkin then only
said "already checked in"), and someone with no streak is not told to keep one going."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.demo_people

CASES = [
    (
        "en",
        "how does the daily check-in work?",
        "You have no check-in streak running",
        "You have checked in today: streak 1 day. Come back tomorrow",
        "Send /checkin today",
    ),
    ("zh", "签到怎么玩", "您目前没有连续签到", "您今天已签到，已连续签到 1 天，明天再来", "今天发送 /checkin"),
]


@pytest.mark.parametrize(("lang", "question", "before", "after", "wrong"), CASES)
async def test_checkin_question_knows_whether_today_is_done(
    desk: Any, lang: str, question: str, before: str, after: str, wrong: str
) -> None:
    shopper = await desk.client.user("Dora", lang=lang)
    await shopper.send("/start")
    await shopper.send(question)
    first = await shopper.last_message()
    assert first is not None and before in (first.text or ""), first
    await shopper.send("/checkin")
    await shopper.send(question)
    second = await shopper.last_message()
    assert second is not None and after in (second.text or ""), second
    assert wrong not in (second.text or "")
