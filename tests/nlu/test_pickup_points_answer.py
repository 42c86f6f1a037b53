"""Outside tester: "where are your pickup points?" was answered with the customer-service hours, while each point
keeps its own (the locker is open around the clock). The answer lists each point with its address and hours."""

from __future__ import annotations

import pytest

from bot.nlu_service import faq_answer
from tests.conftest import make_test_settings

POINTS = [
    {"id": "central", "name": {"en": "Central Store", "zh": "中心门店"},
     "address": {"en": "1 Market Street", "zh": "市场街1号"}, "hours": "09:00-21:00"},
    {"id": "north", "name": {"en": "North Locker", "zh": "北区自提柜"},
     "address": {"en": "88 Garden Road", "zh": "花园路88号"}, "hours": "00:00-24:00"},
]  # fmt: skip


@pytest.mark.parametrize(
    ("lang", "central", "north"),
    [
        ("en", "Central Store, 1 Market Street: 09:00-21:00 UTC+8", "North Locker, 88 Garden Road: open 24 hours"),
        ("zh", "中心门店，市场街1号：09:00-21:00 UTC+8", "北区自提柜，花园路88号：24 小时开放"),
    ],
)
def test_each_pickup_point_is_answered_with_its_own_hours(lang: str, central: str, north: str) -> None:
    settings = make_test_settings(shop={"hours": "10:00-18:00", "pickup_points": POINTS})
    answer = faq_answer(settings, "pickup_points", lang)
    assert central in answer and north in answer, answer
    assert "10:00-18:00" not in answer, "the support hours are not a pickup point's"
