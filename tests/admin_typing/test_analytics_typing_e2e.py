"""/admin -> Analytics -> Custom period reads the ways people write two days ("～", 年月日 with 至, a hyphen
between them), and the caption's counts use the language's plural forms. Tester: "2026-12-01～2026-12-08" and
"2026年12月1日至2026年12月8日" were refused, and the caption said "1 paid orders"."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.emulator.client import UserHandle
from store.models import Order
from tests.admin_typing.helpers import admin
from tests.conftest import ADMIN_ID


def _last_month(shop: Any) -> tuple[date, date]:
    today = datetime.now(ZoneInfo(shop.settings.shop.timezone)).date()
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


async def _one_paid_order(shop: Any, day: date) -> None:
    at = datetime(day.year, day.month, day.day, 6, tzinfo=ZoneInfo("UTC"))
    async with shop.db.tx() as session:
        for method, currency in (("card", "CNY"), ("stars", "XTR")):
            session.add(
                Order(
                    user_id=ADMIN_ID,
                    status="paid",
                    currency=currency,
                    subtotal=5000,
                    total=5000,
                    payment_method=method,
                    delivery_method="pickup",
                    created_at=at,
                    paid_at=at,
                )
            )


async def _caption(ada: UserHandle, lang: str, custom: str, typed: str) -> str:
    await ada.send("/admin")
    await ada.tap("📈 Analytics" if lang == "en" else "📈 数据分析")
    await ada.tap(custom)
    await ada.send(typed)
    chart = await ada.last_message()
    assert chart is not None and chart.photo, (typed, chart.text if chart else None)
    return chart.caption or ""


async def test_a_full_width_tilde_and_one_paid_order_in_english(shop: Any) -> None:
    first, last = _last_month(shop)
    ada = await admin(shop, "en")  # the buyer: a user who started the bot
    await _one_paid_order(shop, first + timedelta(days=1))
    caption = await _caption(ada, "en", "📅 Custom period", f"{first}～{last}")
    assert caption.startswith(f"📈 {first} – {last}: 1 paid order, GMV ¥50.00"), caption
    assert "Paid in Telegram Stars (not in GMV): 1 order, 5000 ⭐" in caption


async def test_chinese_dates_with_zhi(shop: Any) -> None:
    first, last = _last_month(shop)
    li = await admin(shop, "zh")
    await _one_paid_order(shop, first + timedelta(days=1))
    typed = f"{first.year}年{first.month}月{first.day}日至{last.year}年{last.month}月{last.day}日"
    caption = await _caption(li, "zh", "📅 自定义时间段", typed)
    assert caption.startswith(f"📈 {first} – {last}：已付款订单 1 笔，成交额 ¥50.00"), caption
    assert "Telegram Stars 支付（不计入成交额）：1 笔" in caption


async def test_a_hyphen_between_two_days(shop: Any) -> None:
    first, last = _last_month(shop)
    caption = await _caption(await admin(shop), "en", "📅 Custom period", f"{first}-{last}")
    assert caption.startswith(f"📈 {first} – {last}: 0 paid orders"), caption
