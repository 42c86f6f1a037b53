"""D19: a leader who types the deadline the way people say it ("明天晚上8点", "tomorrow 8pm") gets it, in shop
time, instead of "I could not read that time". Real bot, emulator, on a fixed morning clock."""

from __future__ import annotations

from typing import Any

import pytest

from tests.shop_clock import shop_fixture_at
from tests.staff.test_groupbuy_wizard_e2e import MORNING, text_of
from tests.staff.test_wizard_buttons_e2e import _to_deadline

morning = shop_fixture_at(MORNING)


@pytest.mark.parametrize("typed", ["明天晚上8点", "tomorrow 8pm"])
async def test_a_spoken_deadline_is_read_in_shop_time(morning: Any, typed: str) -> None:
    lena, _group, _deadline = await _to_deadline(morning)
    await lena.send(typed)
    await lena.tap("Central Store")
    summary = text_of(await lena.last_message())
    assert "2026-12-31 20:00" in summary, summary
    assert "could not read" not in summary
