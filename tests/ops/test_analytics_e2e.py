"""/admin -> Analytics through the emulator: card views are counted without a write per view, and the admin
gets one chart image with a one-line summary in their language."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from store import analytics
from store.models.ops import AnalyticsCounter
from tests.conftest import ADMIN_ID
from tests.orders.helpers import make_product


async def test_analytics_photo_with_summary(shop: Any) -> None:
    await shop.client.set_flood_limits(False)
    tea = await make_product(shop.db, "TEA-1", stock=50)
    alice = await shop.client.user("Alice")
    for _ in range(3):
        await alice.send("/start p_TEA-1")
    async with shop.db.read() as session:  # counted in memory only, nothing written per view
        assert (await session.execute(select(AnalyticsCounter))).first() is None
    admin = await shop.client.user("Ada", id=ADMIN_ID, lang="zh")
    await admin.send("/start")
    await admin.send("/admin")
    await admin.tap("📈 数据分析")
    await admin.tap("7 天")
    chart = await admin.last_message()
    assert chart is not None and chart.photo
    caption = chart.caption or ""
    assert caption.startswith("📈 ") and "已付款订单 0 笔" in caption and "复购率 0.0%" in caption
    assert "拼团成功率 0.0%" in caption and "签到次日留存 0.0%" in caption
    async with shop.db.read() as session:
        rows = (await session.execute(select(AnalyticsCounter))).scalars().all()
    assert [(r.kind, r.product_id, r.count) for r in rows] == [(analytics.VIEW, tea, 3)]

    eve = await shop.client.user("Eve")
    await eve.send("/start")
    from bot.callbacks.ops import AnalyticsCB

    await eve.tap_data(AnalyticsCB(days=7).pack())
    assert not any(m.photo for m in await eve.messages())
