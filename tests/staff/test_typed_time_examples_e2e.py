"""The example time a refusal (or a prompt) shows is ahead of now, on any day: tomorrow 20:00 in shop time.
Tester: in December 2026 the group-buy deadline step and the flash-sale time step refused a typed time with
"… or 2026-12-01 18:00", a date already gone; later, the flash-sale refusal wrote its example as
"2026-12-07T20:00" under a prompt that says "12-07 20:00". Real bot, emulator, on a clock in March 2027."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.conftest import ADMIN_ID
from tests.flashsale.helpers import make_product
from tests.shop_clock import shop_fixture_at
from tests.staff.test_groupbuy_wizard_e2e import text_of
from tests.staff.test_wizard_buttons_e2e import _to_deadline

# Wednesday 10 March 2027, 23:30 in the shop (UTC+8): late in the day, so "tomorrow" is the 11th.
LATE_EVENING = datetime(2027, 3, 10, 15, 30, tzinfo=UTC)

late_evening = shop_fixture_at(LATE_EVENING)


async def test_the_group_buy_deadline_refusal_shows_a_time_ahead(late_evening: Any) -> None:
    lena, _group, _deadline = await _to_deadline(late_evening)
    await lena.send("whenever")
    refused = text_of(await lena.last_message())
    assert "I could not read that time" in refused
    assert refused.endswith("tomorrow 8pm or 2027-03-11 20:00."), refused
    assert "2026-" not in refused


async def test_the_flash_sale_start_step_shows_times_ahead(late_evening: Any) -> None:
    shop = late_evening
    await make_product(shop.db, "RICE-1", price=9900, stock=40)
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    await ada.send("/flash_new")
    await ada.send("rice")
    for label in ("−20%", "10", "1"):
        await ada.tap(label)
    prompt = text_of(await ada.last_message())
    assert "When does it start" in prompt and "03-11 20:00" in prompt and "12-06" not in prompt, prompt
    await ada.send("whenever")
    refused = text_of(await ada.last_message())
    assert "Cannot read the time “whenever”" in refused
    # Outside check: the refusal's example read "2027-03-11T20:00" under a prompt that says "03-11 20:00". It
    # repeats the prompt's examples, in the prompt's words.
    assert "in 10 min, 20:00 or 03-11 20:00 (shop time, UTC+8)" in refused, refused
    assert "T20:00" not in refused and "2026-" not in refused, refused

    await ada.send("/flash_list")
    listed = text_of(await ada.last_message())
    assert "2027-03-11T20:00 (shop time" in listed and "2026-12-01" not in listed, listed


async def test_the_examples_in_chinese(late_evening: Any) -> None:
    shop = late_evening
    await make_product(shop.db, "RICE-1", price=9900, stock=40)
    li = await shop.client.user("李雷", id=ADMIN_ID, lang="zh")
    await li.send("/start")
    await li.send("/flash_new")
    await li.send("rice")
    for label in ("−20%", "10", "1"):
        await li.tap(label)
    assert "03-11 20:00" in text_of(await li.last_message())
    await li.send("随便")
    refused = text_of(await li.last_message())
    assert "无法识别时间“随便”" in refused and "10分钟后、20:00 或 03-11 20:00（店铺时间，UTC+8）" in refused, refused
    assert "T20:00" not in refused, refused
