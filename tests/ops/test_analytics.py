"""Analytics figures on a generated history with known answers (SQLite and PostgreSQL), batched event counts,
and the charts: valid PNGs drawn with the expected series (checked on the figure, not by pixels)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from store import analytics
from store.analytics import charts
from store.analytics.events import EventCounter
from store.db import Database
from store.models import Order, OrderItem
from store.models.ops import AnalyticsCounter
from tests.ops.helpers import cli_database
from tests.orders.helpers import make_product, make_users

TZ = "Asia/Shanghai"  # UTC+8: 17:00 UTC is already the next local day
DAY1 = date(2026, 11, 2)


def _at(day: date, hour_utc: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour_utc, tzinfo=UTC)


async def _history(db: Database) -> None:
    """Day 1: buyer 1 pays 2×TEA (¥50) and buyer 2 pays 1×CUP (¥30); day 2: buyer 1 pays 1×TEA (¥25); day 3:
    an unpaid order and a refunded one (neither is GMV); plus an order paid the day before the period."""
    await make_users(db, [1, 2, 3])
    tea = await make_product(db, "TEA", price=2500)
    cup = await make_product(db, "CUP", price=3000)
    plan = [
        # user, status, created, paid, lines
        (1, "delivered", _at(DAY1, 1), _at(DAY1, 2), [(tea, "TEA", 2500, 2)]),
        (2, "paid", _at(DAY1, 3), _at(DAY1, 15), [(cup, "CUP", 3000, 1)]),  # 23:00 local, still day 1
        (1, "shipped", _at(DAY1, 20), _at(DAY1, 20), [(tea, "TEA", 2500, 1)]),  # 04:00 local on day 2
        (3, "pending_payment", _at(DAY1 + timedelta(days=2), 1), None, [(cup, "CUP", 3000, 1)]),
        (3, "refunded", _at(DAY1 + timedelta(days=2), 2), _at(DAY1 + timedelta(days=2), 2), [(cup, "CUP", 3000, 4)]),
        (2, "paid", _at(DAY1, 0) - timedelta(days=1), _at(DAY1, 0) - timedelta(days=1), [(tea, "TEA", 2500, 9)]),
    ]
    async with db.tx() as session:
        for user, status, created, paid, lines in plan:
            total = sum(price * qty for _p, _s, price, qty in lines)
            order = Order(
                user_id=user,
                status=status,
                currency="CNY",
                subtotal=total,
                total=total,
                payment_method="card",
                delivery_method="pickup",
                created_at=created,
                paid_at=paid,
            )
            session.add(order)
            await session.flush()
            for product_id, sku, price, qty in lines:
                session.add(
                    OrderItem(
                        order_id=order.id,
                        product_id=product_id,
                        sku=sku,
                        title_en=f"Product {sku}",
                        title_zh=f"商品 {sku}",
                        unit_price=price,
                        quantity=qty,
                    )
                )
    events = EventCounter(TZ)
    for _ in range(40):
        events.count(analytics.VIEW, tea, _at(DAY1, 4))
    for _ in range(10):
        events.count(analytics.ADD, tea, _at(DAY1, 4))
    events.count(analytics.VIEW, cup, _at(DAY1 - timedelta(days=5), 4))  # outside the period
    await events.flush(db)


async def test_figures_on_known_history(any_db: Database) -> None:
    await _history(any_db)
    period = analytics.Period(DAY1, DAY1 + timedelta(days=2), TZ)
    report = await analytics.report(any_db, period)
    assert report.orders_placed == 5  # placed in the period, paid or not
    assert report.paid_orders == 3
    assert report.gmv == {"CNY": 10500}
    assert report.aov == {"CNY": 3500}
    assert [(d.isoformat(), n, g) for d, n, g in report.by_day] == [
        ("2026-11-02", 2, {"CNY": 8000}),
        ("2026-11-03", 1, {"CNY": 2500}),
        ("2026-11-04", 0, {}),
    ]
    assert [(p.sku, p.units, p.revenue) for p in report.top_products] == [("TEA", 3, 7500), ("CUP", 1, 3000)]
    assert [(s.key, s.count, s.drop_percent) for s in report.funnel] == [
        ("view", 40, None),
        ("add_to_cart", 10, 75.0),
        ("placed", 5, 50.0),
        ("paid", 3, 40.0),
    ]
    assert (report.buyers, report.repeat_buyers, report.repeat_rate) == (2, 1, 0.5)
    empty = await analytics.report(any_db, analytics.Period(date(2020, 1, 1), date(2020, 1, 1), TZ))
    assert (empty.paid_orders, empty.gmv, empty.aov, empty.repeat_rate) == (0, {}, {}, 0.0)


async def test_event_counts_are_batched_and_added(db: Database) -> None:
    events = EventCounter(TZ)
    for _ in range(1000):
        events.count(analytics.VIEW, 7)
    assert await events.flush(db) == 1  # one row written for a thousand views
    events.count(analytics.VIEW, 7, n=5)
    await events.flush(db)
    assert await events.flush(db) == 0
    async with db.read() as session:
        rows = (await session.execute(select(AnalyticsCounter))).scalars().all()
    assert [(r.kind, r.product_id, r.count) for r in rows] == [("view", 7, 1005)]


async def test_charts_are_pngs_with_the_expected_series(db: Database) -> None:
    import io

    from matplotlib import pyplot as plt
    from PIL import Image

    await _history(db)
    report = await analytics.report(db, analytics.Period(DAY1, DAY1 + timedelta(days=2), TZ))
    for lang in ("en", "zh"):
        png = charts.dashboard(report, lang)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        image = Image.open(io.BytesIO(png))
        image.verify()
        assert image.size == (800, 800)
        fig = charts.dashboard_figure(report, lang)
        try:
            orders, funnel, gmv = fig.axes  # the twin axis is added last
            assert [p.get_height() for p in orders.patches] == [2, 1, 0]
            assert [tick.get_text() for tick in orders.get_xticklabels()] == ["11-02", "11-03", "11-04"]
            assert list(gmv.lines[0].get_ydata()) == [80.0, 25.0, 0.0]
            assert [p.get_width() for p in funnel.patches] == [3, 5, 10, 40]  # paid at the bottom, views on top
            labels = [tick.get_text() for tick in funnel.get_yticklabels()]
            assert labels == (
                ["付款", "下单", "加入购物车", "商品浏览"]
                if lang == "zh"
                else ["Paid", "Orders placed", "Added to cart", "Card views"]
            )
        finally:
            plt.close(fig)
    assert charts.cjk_font() is not None, "no CJK font installed (Debian: fonts-wqy-microhei, see .ci/run)"


def test_a_cjk_font_installed_after_matplotlib_cached_its_font_list_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib import font_manager

    charts.cjk_font.cache_clear()
    assert charts.cjk_font() is not None, "no CJK font installed (Debian: fonts-wqy-microhei, see .ci/run)"
    stale = [f for f in font_manager.fontManager.ttflist if f.name not in charts.CJK_FONTS]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)  # as if cached before the font was installed
    charts.cjk_font.cache_clear()
    try:
        assert charts.cjk_font() in charts.CJK_FONTS
    finally:
        charts.cjk_font.cache_clear()


def test_report_cli_writes_html_and_csv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import main

    config = cli_database(tmp_path, monkeypatch, TZ, _history)
    out = tmp_path / "rep"
    args = ["--config", config, "report", "--from", "2026-11-02", "--to", "2026-11-04", "--out", str(out)]
    assert main(args) == 0
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 3 and "3 paid orders of 5 placed" in page
    assert "http" not in page.replace("charset", "")  # self-contained: nothing fetched from elsewhere
    by_day = (out / "orders_by_day.csv").read_text(encoding="utf-8").splitlines()
    assert by_day == ["day,paid_orders,gmv_CNY_minor", "2026-11-02,2,8000", "2026-11-03,1,2500", "2026-11-04,0,0"]
    assert "TEA,Product TEA,商品 TEA,3,7500,CNY" in (out / "top_products.csv").read_text(encoding="utf-8")
    assert main(["--config", config, "report", "--from", "2026-11-04", "--to", "2026-11-02"]) == 2


async def test_program_figures_on_known_history(any_db: Database) -> None:
    from store.models.flashsale import FlashSale
    from store.models.groupbuy import GroupBuy
    from store.models.growth import Checkin, Referral
    from store.models.support import SupportTicket

    await make_users(any_db, list(range(1, 11)))
    tea = await make_product(any_db, "TEA", price=2500)
    inside, outside = _at(DAY1, 4), _at(DAY1 - timedelta(days=10), 4)
    async with any_db.tx() as session:
        for status, joined, closed in (
            ("succeeded", 6, inside),
            ("succeeded", 4, inside),
            ("failed", 2, inside),
            ("cancelled", 1, inside),
            ("succeeded", 9, outside),
        ):
            session.add(
                GroupBuy(
                    leader_id=1,
                    chat_id=-100,
                    product_id=tea,
                    status=status,
                    currency="CNY",
                    base_price=2500,
                    min_participants=3,
                    deadline=closed,
                    joined=joined,
                    closed_at=closed,
                )
            )
        # 100 units sold out in 90 s (80 paid), 50 units ran out of time (10 paid).
        session.add(
            FlashSale(
                product_id=tea,
                price=900,
                currency="CNY",
                stock=100,
                sold=100,
                paid=80,
                starts_at=inside,
                ends_at=inside + timedelta(hours=1),
                status="ended",
                end_reason="sold_out",
                started_at=inside,
                ended_at=inside + timedelta(seconds=90),
            )
        )
        session.add(
            FlashSale(
                product_id=tea,
                price=900,
                currency="CNY",
                stock=50,
                sold=10,
                paid=10,
                starts_at=inside,
                ends_at=inside + timedelta(hours=1),
                status="ended",
                end_reason="time",
                started_at=inside,
                ended_at=inside + timedelta(hours=1),
            )
        )
        for invitee, rewarded in ((2, 11), (3, None), (4, None), (5, 12)):
            session.add(Referral(invitee_id=invitee, referrer_id=1, created_at=inside, rewarded_order_id=rewarded))
        session.add(Referral(invitee_id=6, referrer_id=1, created_at=outside, rewarded_order_id=13))
        # Cohort (first check-in in the period): users 1, 2, 3. Day 1: users 1 and 2 come back; day 7: user 1.
        # User 4 first checked in before the period: not in the cohort.
        days = {1: [0, 1, 7], 2: [0, 1], 3: [0], 4: [-3, 0, 1]}
        for user, offsets in days.items():
            for offset in offsets:
                session.add(Checkin(user_id=user, day=DAY1 + timedelta(days=offset), streak=1, points=1))
        # Tickets: answered after 60 s and 180 s (one never), closed after 1 h and 3 h; rated 5 and 4.
        for user, answered, closed, rating in ((1, 60, 3600, 5), (2, 180, 10800, 4), (3, None, None, None)):
            session.add(
                SupportTicket(
                    user_id=user,
                    opened_at=inside,
                    first_response_at=None if answered is None else inside + timedelta(seconds=answered),
                    closed_at=None if closed is None else inside + timedelta(seconds=closed),
                    rating=rating,
                )
            )
        session.add(SupportTicket(user_id=4, opened_at=outside, first_response_at=outside, rating=1))
    report = await analytics.report(any_db, analytics.Period(DAY1, DAY1 + timedelta(days=2), TZ))
    p = report.programs
    assert (p.tickets, p.first_response_seconds, p.resolution_seconds) == (3, 120.0, 7200.0)
    assert (p.ratings, p.csat) == (2, 4.5)
    assert (p.groupbuys_closed, p.groupbuys_succeeded, p.groupbuy_avg_participants) == (3, 2, 4.0)
    assert p.groupbuy_success_rate == 2 / 3
    assert (p.flash_units, p.flash_paid, p.flash_sell_through) == (150, 90, 0.6)
    assert (p.flash_sold_out, p.flash_avg_sellout_seconds) == (1, 90.0)
    assert (p.invites, p.invites_converted, p.referral_conversion) == (4, 2, 0.5)
    assert (p.checkin_cohort, p.checkin_day1, p.checkin_day7) == (3, 2, 1)
    assert p.retention(1) == 2 / 3 and p.retention(7) == 1 / 3
