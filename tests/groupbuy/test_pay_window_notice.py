"""Outside tester: a shopper who opened the bot late was told "please pay within 60 minutes" by a group buy's
success notice, though the window had begun when the buy closed. The notice now says how long is left when it is
read, with the time it ends on the shop's clock; read after the window closed, it says so and offers no Pay."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from bot.i18n import t_plain
from bot.views.groupbuy import render_success
from store.models import utcnow
from tests.conftest import make_test_settings

PARAMS: dict[str, Any] = {
    "group_buy_id": 3,
    "order_id": 41,
    "title_en": "Oolong tea",
    "title_zh": "乌龙茶",
    "quantity": 1,
    "unit_price": 4000,
    "base_price": 5000,
    "total": 4000,
    "currency": "CNY",
    "pay_on_pickup": False,
    "pickup_point": None,
    "window_minutes": 60,
}


def _render(lang: str, **params: Any) -> tuple[str, Any]:
    app: Any = SimpleNamespace(settings=make_test_settings())
    out = render_success(app, lang, {**PARAMS, **params})
    return out.text or "", out.reply_markup


@pytest.mark.parametrize(("lang", "left"), [("en", "10 minutes"), ("zh", "10 分钟")])
def test_the_notice_says_the_minutes_left_when_it_is_read(lang: str, left: str) -> None:
    text, markup = _render(lang, expires_at=(utcnow() + timedelta(minutes=9, seconds=30)).isoformat())
    assert left in text and "60" not in text.split("\n")[-1], text
    assert markup is not None and "¥40.00" in markup.inline_keyboard[0][0].text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_read_after_the_window_it_says_the_time_ran_out_and_offers_no_pay(lang: str) -> None:
    ended = utcnow() - timedelta(minutes=5)
    text, markup = _render(lang, expires_at=ended.isoformat())
    assert t_plain(lang, "groupbuy.notice.pay_missed", until="")[:6] in text, text
    assert markup is None


def test_a_notice_queued_before_the_deadline_was_carried_keeps_its_window() -> None:
    text, markup = _render("en")
    assert "within 60 minutes" in text and markup is not None
