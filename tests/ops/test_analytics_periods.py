"""Analytics beyond the basics, on generated histories with known answers: Telegram Stars kept out of GMV and
AOV (and reported apart), top categories, day-30 check-in retention with cohorts that have not reached day 30,
and the one period parser shared by the chat's "Custom period" and `groupcart report`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from store import analytics
from store.analytics import export, periods
from store.db import Database
from store.errors import DomainError
from store.models import Order, OrderItem
from store.models.catalog import Category, Product
from store.models.growth import Checkin
from store.money import STARS
from tests.ops.helpers import cli_database
from tests.orders.helpers import make_product, make_users

TZ = "Asia/Shanghai"
DAY1 = date(2026, 11, 2)


def _at(day: date, hour_utc: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour_utc, tzinfo=UTC)


async def _category(db: Database, slug: str, en: str, zh: str, skus: list[str]) -> None:
    async with db.tx() as session:
        category = Category(slug=slug, name_en=en, name_zh=zh)
        session.add(category)
        await session.flush()
        await session.execute(update(Product).where(Product.sku.in_(skus)).values(category_id=category.id))


async def stars_history(db: Database, day: date = DAY1) -> None:
    """In CNY: buyer 1 pays 2×TEA (¥50) and 1×MUG (¥30); buyer 2 pays 3×CUP (¥30). In Stars: buyer 3 pays two
    orders of 5×EBOOK at 20000 ⭐ each line (200,000 Stars, far more than the CNY minor units). Categories:
    Tea {TEA}, Cups {CUP, MUG}, Digital {EBOOK}."""
    await make_users(db, [1, 2, 3])
    tea = await make_product(db, "TEA", price=2500)
    cup = await make_product(db, "CUP", price=1000)
    mug = await make_product(db, "MUG", price=3000)
    ebook = await make_product(db, "EBOOK", price=900)
    await _category(db, "tea", "Tea", "茶叶", ["TEA"])
    await _category(db, "cups", "Cups", "杯具", ["CUP", "MUG"])
    await _category(db, "digital", "Digital", "数字商品", ["EBOOK"])
    plan = [
        (1, "CNY", "card", [(tea, "TEA", 2500, 2), (mug, "MUG", 3000, 1)]),
        (2, "CNY", "card", [(cup, "CUP", 1000, 3)]),
        (3, STARS, "stars", [(ebook, "EBOOK", 20000, 5)]),
        (3, STARS, "stars", [(ebook, "EBOOK", 20000, 5)]),
    ]
    async with db.tx() as session:
        for user, currency, method, lines in plan:
            total = sum(price * qty for _p, _s, price, qty in lines)
            order = Order(
                user_id=user,
                status="paid",
                currency=currency,
                subtotal=total,
                total=total,
                payment_method=method,
                delivery_method="pickup",
                created_at=_at(day, 2),
                paid_at=_at(day, 3),
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


async def test_stars_stay_out_of_gmv_and_aov(any_db: Database) -> None:
    await stars_history(any_db)
    report = await analytics.report(any_db, analytics.Period(DAY1, DAY1, TZ))
    assert report.paid_orders == 4  # every paid order is an order...
    assert report.gmv == {"CNY": 11000}  # ...but only shop money is GMV
    assert report.aov == {"CNY": 5500}  # over the two CNY orders, not four
    assert report.cash_paid_orders == 2  # the count beside GMV and AOV in the admin's caption
    assert (report.stars.orders, report.stars.stars) == (2, 200000)
    assert report.currency == "CNY"  # Stars outweigh CNY in raw numbers and still are not the headline currency
    assert report.by_day == [(DAY1, 4, {"CNY": 11000})]
    summary = dict(row.split(",", 1) for row in export.csv_files(report)["summary.csv"].splitlines()[1:])
    assert (summary["stars_orders"], summary["stars_total"]) == ("2", "200000")
    assert "gmv_XTR_minor" not in summary and "aov_XTR_minor" not in summary


async def test_top_categories(any_db: Database) -> None:
    await stars_history(any_db)
    report = await analytics.report(any_db, analytics.Period(DAY1, DAY1, TZ))
    assert [(c.slug, c.name_zh, c.units, c.revenue, c.currency) for c in report.top_categories] == [
        ("digital", "数字商品", 10, 200000, STARS),
        ("cups", "杯具", 4, 6000, "CNY"),
        ("tea", "茶叶", 2, 5000, "CNY"),
    ]
    rows = export.csv_files(report)["top_categories.csv"].splitlines()
    assert rows[0] == "slug,name_en,name_zh,units,revenue_minor,currency"
    assert rows[2] == "cups,Cups,杯具,4,6000,CNY"
    two = await analytics.report(any_db, analytics.Period(DAY1, DAY1, TZ), top=2)
    assert [c.slug for c in two.top_categories] == ["digital", "cups"]


async def test_day30_retention_counts_only_cohorts_that_reached_day_30(any_db: Database) -> None:
    """Cohort (first check-in in November): users 1-4 on Nov 2, user 5 on Nov 25. Back on day 30 (Dec 2):
    users 1 and 2; user 3 came back on day 29 and 31 only. On Dec 10, user 5's day 30 (Dec 25) has not come:
    day-30 retention is 2 of 4, not 2 of 5. Read long after, everyone is due and it is 2 of 5."""
    await make_users(any_db, list(range(1, 7)))
    first = {1: DAY1, 2: DAY1, 3: DAY1, 4: DAY1, 5: date(2026, 11, 25), 6: date(2026, 10, 20)}
    returns = {1: [1, 7, 30], 2: [30], 3: [29, 31], 4: [], 5: [1], 6: [13, 43]}
    async with any_db.tx() as session:
        for user, day in first.items():
            for offset in [0, *returns[user]]:
                session.add(Checkin(user_id=user, day=day + timedelta(days=offset), streak=1, points=1))
    november = analytics.Period(date(2026, 11, 1), date(2026, 11, 30), TZ)
    report = await analytics.report(any_db, november, today=date(2026, 12, 10))
    p = report.programs
    assert (p.checkin_cohort, p.checkin_day1, p.checkin_day7, p.checkin_day30) == (5, 2, 1, 2)
    assert (p.due(1), p.due(7), p.due(30)) == (5, 5, 4)
    assert (p.retention(1), p.retention(7), p.retention(30)) == (2 / 5, 1 / 5, 2 / 4)
    later = (await analytics.report(any_db, november, today=date(2027, 3, 1))).programs
    assert later.retention(30) == 2 / 5
    summary = dict(row.split(",", 1) for row in export.csv_files(report)["summary.csv"].splitlines()[1:])
    assert summary["checkin_retention_day30"] == "0.5" and summary["checkin_cohort"] == "5"


TODAY = date(2026, 12, 5)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-11-01 2026-11-30", "2026-11-01", "2026-11-30"),
        ("  2026-11-01..2026-11-30 ", "2026-11-01", "2026-11-30"),
        ("2026-11-01 - 2026-11-30", "2026-11-01", "2026-11-30"),
        ("2026-11-01 to 2026-11-30", "2026-11-01", "2026-11-30"),
        ("2026-11-01至2026-11-30", "2026-11-01", "2026-11-30"),
        ("2026/11/3", "2026-11-03", "2026-11-03"),
        ("Last Month", "2026-11-01", "2026-11-30"),
        ("上个月", "2026-11-01", "2026-11-30"),
        ("this month", "2026-12-01", "2026-12-05"),
        ("7 days", "2026-11-29", "2026-12-05"),
        ("today", "2026-12-05", "2026-12-05"),
    ],
)
def test_typed_periods(text: str, start: str, end: str) -> None:
    period = periods.parse(text, TODAY, TZ)
    assert (period.start.isoformat(), period.end.isoformat(), period.timezone) == (start, end, TZ)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "ops_period_format"),
        ("november", "ops_period_format"),
        ("2026-11-01 2026-11-02 2026-11-03", "ops_period_format"),
        ("2026-02-30 2026-03-01", "ops_period_bad_date"),
        ("2026-11-30 2026-11-01", "ops_period_order"),
        ("2027-01-01 2027-01-02", "ops_period_future"),
        ("2024-01-01 2026-01-01", "ops_period_too_long"),
    ],
)
def test_refused_periods(text: str, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        periods.parse(text, TODAY, TZ)
    assert refused.value.code == code


def test_last_month_across_a_year_and_a_leap_february() -> None:
    january = periods.preset("last_month", date(2027, 1, 15), TZ)
    assert (january.start, january.end) == (date(2026, 12, 1), date(2026, 12, 31))
    march = periods.preset("last_month", date(2028, 3, 1), TZ)
    assert (march.start, march.end) == (date(2028, 2, 1), date(2028, 2, 29))
    assert len(periods.between("2028-01-01", "2028-12-31", date(2029, 1, 1), TZ).days) == periods.MAX_DAYS


def test_report_cli_shares_the_period_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import time_machine

    from bot.cli import main

    config = cli_database(tmp_path, monkeypatch, TZ, stars_history)
    capsys.readouterr()
    with time_machine.travel(datetime(2026, 12, 5, 4, tzinfo=UTC), tick=False):
        out = tmp_path / "rep"
        assert main(["--config", config, "report", "--period", "last_month", "--out", str(out)]) == 0
        printed = capsys.readouterr().out
        assert "2026-11-01 – 2026-11-30: 4 paid orders of 4 placed, GMV ¥110.00, AOV ¥55.00" in printed
        assert "paid in Telegram Stars (not in GMV): 2 orders, ⭐ 200,000" in printed
        assert "top categories: Digital ×10, Cups ×4, Tea ×2" in printed
        assert "cups,Cups,杯具,4,6000,CNY" in (out / "top_categories.csv").read_text(encoding="utf-8")
        by_day = (out / "orders_by_day.csv").read_text(encoding="utf-8").splitlines()
        assert by_day[0] == "day,paid_orders,gmv_CNY_minor" and "2026-11-02,4,11000" in by_day

        refusals = {
            ("--from", "2026-11-30", "--to", "2026-11-01"): "The last day (2026-11-01) is before the first day",
            ("--from", "2026-02-30"): "2026-02-30 is not a date on the calendar",
            ("--from", "2027-01-01"): "The period starts after today (2026-12-05)",
            ("--from", "2024-01-01", "--to", "2026-01-01"): "A period can be at most 366 days",
            ("--from", "11/01/2026"): "Please type two days as YYYY-MM-DD",
            ("--period", "last_month", "--from", "2026-11-01"): "Please type two days as YYYY-MM-DD",
        }
        for args, message in refusals.items():
            assert main(["--config", config, "report", *args, "--out", str(tmp_path / "no")]) == 2
            err = capsys.readouterr().err
            assert message in err and "/cancel" not in err, err
        assert not (tmp_path / "no").exists()
