"""After 20:00 shop time (D5, D6): the group-buy wizard no longer offers "Tonight 20:00" (it would have meant
tomorrow's, later than "Tomorrow 12:00" beside it) but tomorrow's 20:00 after the noon one; an old "Tonight" button
is refused with the reason; the calendar's hours of today that are gone are struck through like past days; the
flash wizard's 20:00 preset says "Tomorrow". Started on a fixed clock, so the result does not depend on when the
suite runs. Real bot, emulator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.conftest import ADMIN_ID
from tests.flashsale.helpers import make_product as make_flash_product
from tests.shop_clock import shop_fixture_at
from tests.staff.test_groupbuy_wizard_e2e import labels, text_of
from tests.staff.test_wizard_buttons_e2e import _to_deadline, alert_after, struck_hour

# 21:00 in the shop (Asia/Shanghai, UTC+8) on 30 December.
EVENING = datetime(2026, 12, 30, 13, 0, tzinfo=UTC)


evening = shop_fixture_at(EVENING)


async def test_after_20_the_tonight_preset_gives_way_to_tomorrow_evening(evening: Any) -> None:
    shop = evening
    lena, _group, deadline = await _to_deadline(shop)
    shown = labels(deadline)
    assert not any(label.startswith("Tonight") for label in shown), shown
    noon = shown.index("Tomorrow 12:00 UTC+8")
    assert shown[noon + 1] == "Tomorrow 20:00 UTC+8", shown

    # A "Tonight" button drawn before 20:00 and tapped now is refused, not quietly moved to tomorrow.
    reason = await alert_after(lena, shop, data="gbw:dl:tonight", message=deadline)
    assert "20:00 has passed" in reason

    await lena.tap("Tomorrow 20:00 UTC+8")
    await lena.tap("Central Store")
    assert "Ends: 2026-12-31 20:00 UTC+8" in text_of(await lena.last_message())


async def test_todays_gone_hours_are_struck_through(evening: Any) -> None:
    shop = evening
    lena, _group, _deadline = await _to_deadline(shop)
    await lena.tap("Pick a day and hour")
    await lena.tap("30")
    hours = labels(await lena.last_message())
    assert "23:00" in hours and "22:00" not in hours, "22:00 is less than an hour ahead"
    for hour in range(23):
        assert f"{hour:02d}:00" not in hours, f"{hour}:00 today is gone but offered"
    assert struck_hour(20) in hours and struck_hour(9) in hours
    assert "in the past" in await alert_after(lena, shop, label=struck_hour(20)), "still explained when tapped"
    await lena.tap("23:00")
    await lena.tap("Central Store")
    assert "Ends: 2026-12-30 23:00 UTC+8" in text_of(await lena.last_message())


async def test_flash_start_preset_after_20_says_tomorrow(evening: Any) -> None:
    shop = evening
    await make_flash_product(shop.db, "RICE-1", price=9900, stock=40)
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang="en")
    await ada.send("/start")
    await ada.send("/flash_new")
    await ada.tap("Product RICE-1")
    for label in ("−20% · ¥79.20", "10", "1"):
        await ada.tap(label)
    shown = labels(await ada.last_message())
    assert "Tomorrow 20:00 UTC+8" in shown and "At 20:00 UTC+8" not in shown, shown
    await ada.tap("Tomorrow 20:00 UTC+8")
    assert "UTC" not in " ".join(labels(await ada.last_message())), "next comes the duration"
