"""`groupcart report`'s one-line summary counts in words a reader expects: "1 paid order", not "1 paid orders"."""

from __future__ import annotations

from datetime import date

from bot.cli.report import summary
from store import analytics


def _report(paid: int, stars_orders: int) -> analytics.Report:
    period = analytics.Period(date(2026, 12, 1), date(2026, 12, 1), "Asia/Shanghai")
    stars = analytics.StarsFigures(orders=stars_orders, stars=50 * stars_orders)
    return analytics.Report(period, orders_placed=paid, paid_orders=paid, stars=stars)


def test_one_is_singular_and_more_are_plural() -> None:
    one = summary(_report(1, 1))
    assert "2026-12-01 – 2026-12-01: 1 paid order of 1 placed" in one, one
    assert "(not in GMV): 1 order," in one, one
    two = summary(_report(2, 2))
    assert ": 2 paid orders of 2 placed" in two and "(not in GMV): 2 orders," in two, two
