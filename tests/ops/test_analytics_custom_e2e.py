"""/admin -> Analytics through the emulator: the month presets, and "Custom period" where the admin types two
days; bad input gets a clear message in the admin's language and the admin can try again or /cancel. The
caption keeps Telegram Stars out of GMV and shows them apart, with top categories and day-30 retention."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import ADMIN_ID
from tests.ops.test_analytics_periods import stars_history


def _last_month(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


async def test_custom_period_in_chinese(shop: Any) -> None:
    await shop.client.set_flood_limits(False)
    zone = shop.settings.shop.timezone
    today = datetime.now(ZoneInfo(zone)).date()
    first, last = _last_month(today)
    await stars_history(shop.db, first + timedelta(days=1))
    admin = await shop.client.user("Ada", id=ADMIN_ID, lang="zh")
    await admin.send("/start")
    await admin.send("/admin")
    await admin.tap("📈 数据分析")
    await admin.tap("📅 自定义时间段")
    prompt = await admin.last_message()
    assert prompt is not None and "请输入时间段的第一天和最后一天" in prompt.text

    async def reply_to(text: str) -> str:
        await admin.send(text)
        answer = await admin.last_message()
        assert answer is not None and not answer.photo, text
        return answer.text or ""

    assert "请按 YYYY-MM-DD YYYY-MM-DD 的格式输入两个日期" in await reply_to("上上个月")
    assert "2026-02-30 不是有效的日期" in await reply_to("2026-02-30 2026-03-02")
    assert f"最后一天（{first}）早于第一天（{last}）" in await reply_to(f"{last} {first}")
    future = today + timedelta(days=3)
    assert f"时间段的开始日期晚于今天（{today}）" in await reply_to(f"{future} {future}")
    assert "时间段最长为 366 天" in await reply_to(f"{today - timedelta(days=400)} {today}")

    await admin.send(f"{first} 至 {last}")  # still waiting for a period after five refusals
    chart = await admin.last_message()
    assert chart is not None and chart.photo
    caption = chart.caption or ""
    assert caption.startswith(f"📈 {first} – {last}：已付款订单 2 笔，成交额 ¥110.00，客单价 ¥55.00"), caption
    assert "Telegram Stars 支付（不计入成交额）：2 笔，共 200000 ⭐" in caption
    assert "热销分类：数字商品 ×10, 杯具 ×4, 茶叶 ×2" in caption
    assert "签到留存（新签到 0 人）：签到次日留存 0.0% · 7 日 0.0% · 30 日 0.0%" in caption

    count = len(await admin.messages())
    await admin.send("2026-11-01 2026-11-30")  # the state ended with the report: this is just a message now
    assert not any(m.photo for m in (await admin.messages())[count:])


async def test_month_presets_and_cancel_in_english(shop: Any) -> None:
    await shop.client.set_flood_limits(False)
    zone = shop.settings.shop.timezone
    today = datetime.now(ZoneInfo(zone)).date()
    first, last = _last_month(today)
    await stars_history(shop.db, first)
    admin = await shop.client.user("Ada", id=ADMIN_ID, lang="en")
    await admin.send("/start")
    await admin.send("/admin")
    await admin.tap("📈 Analytics")
    await admin.tap("Last month")
    chart = await admin.last_message()
    assert chart is not None and chart.photo
    caption = chart.caption or ""
    assert caption.startswith(f"📈 {first} – {last}: 2 paid orders, GMV ¥110.00, AOV ¥55.00"), caption
    assert "Paid in Telegram Stars (not in GMV): 2 orders, 200000 ⭐" in caption
    assert "Top categories: Digital ×10, Cups ×4, Tea ×2" in caption

    await admin.tap("This month", message=await _menu(admin))
    month = await admin.last_message()
    assert month is not None and month.photo
    assert (month.caption or "").startswith(f"📈 {today.replace(day=1)} – {today}: 0 paid orders")

    await admin.tap("📅 Custom period", message=await _menu(admin))
    await admin.send("soon")
    refusal = await admin.last_message()
    assert refusal is not None and "Please type two days as YYYY-MM-DD YYYY-MM-DD" in (refusal.text or "")
    await admin.send("/cancel")
    cancelled = await admin.last_message()
    assert cancelled is not None and cancelled.text == "Custom period cancelled."
    await admin.tap("📅 Custom period", message=await _menu(admin))
    await admin.send("last month")
    typed = await admin.last_message()
    assert typed is not None and typed.photo and (typed.caption or "").startswith(f"📈 {first} – {last}: 2 paid")


async def _menu(admin: Any) -> Any:
    menus = [m for m in await admin.messages() if m.from_bot and "choose a period" in (m.text or "")]
    return menus[-1]
