"""A clock time a chat shows names its zone (bot/views/clock.py): Telegram does not tell the bot where the reader
is, and "20:00" alone reads as the reader's own clock. The flash-sale set-up's "At 20:00" preset and the daily
check-in reminder's time say "UTC+8" (the shop is in Asia/Shanghai), in English and Chinese."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.emulator.client import MessageView
from tests.conftest import ADMIN_ID
from tests.flashsale.helpers import make_product
from tests.shop_clock import shop_fixture_at

# 10:00 in the shop (UTC+8): the 20:00 preset is still today's ("At 20:00"; after 20:00 it reads "Tomorrow").
MORNING = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)


morning = shop_fixture_at(MORNING)


def labels(message: MessageView | None) -> list[str]:
    assert message is not None
    return [b.text for row in message.buttons for b in row]


# language, product button, a price button, the start prompt's zone words, the 20:00 preset
FLASH = [
    ("en", "Product RICE-1", "−20% · ¥79.20", "(shop time, UTC+8)", "At 20:00 UTC+8"),
    ("zh-hans", "商品 RICE-1", "−20% · ¥79.20", "（店铺时间，UTC+8）", "20:00 UTC+8 开始"),
]


@pytest.mark.parametrize("lang,product,price,zone_words,preset", FLASH)
async def test_flash_sale_start_presets_name_the_zone(
    morning: Any, lang: str, product: str, price: str, zone_words: str, preset: str
) -> None:
    shop = morning
    await make_product(shop.db, "RICE-1", price=9900, stock=40)
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang=lang)
    await ada.send("/start")
    await ada.send("/flash_new")
    await ada.tap(product)
    for label in (price, "10", "1"):
        await ada.tap(label)
    step = await ada.last_message()
    assert step is not None and zone_words in (step.text or ""), step.text
    assert preset in labels(step), labels(step)
    await ada.tap(preset)  # the preset still works: next comes the duration
    assert "UTC" not in " ".join(labels(await ada.last_message()))


# language, the reminder button while off, the toast once on, the button once on
REMINDER = [
    ("en", "🔕 Daily reminder (09:00 UTC+8): off", "every day at 09:00 UTC+8", "🔔 Daily reminder (09:00 UTC+8): on"),
    ("zh-hans", "🔕 每日提醒（09:00 UTC+8）：已关闭", "每天 09:00 UTC+8 提醒您", "🔔 每日提醒（09:00 UTC+8）：已开启"),
]


@pytest.mark.parametrize("lang,off,toast,on", REMINDER)
async def test_checkin_reminder_time_names_the_zone(shop: Any, lang: str, off: str, toast: str, on: str) -> None:
    frank = await shop.client.user("Frank", lang=lang)
    await frank.send("/points")
    assert off in labels(await frank.last_message())
    tapped = await frank.tap(off)
    assert tapped.toast is not None and toast in (tapped.toast.text or ""), tapped.toast
    assert on in labels(await frank.last_message())
