"""Outside tester: the audit screen showed "currency: null → CNY; total: null → 6780" and a deadline as raw UTC with
microseconds. Values are shown as staff read them: money in the entry's currency, times on the shop's clock, a
missing value as "—". The CSV export keeps the raw record."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.views.ops import audit_page
from store import audit

WHEN = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def _page(before: dict[str, object] | None, after: dict[str, object] | None) -> str:
    entry = audit.Entry(1, 7, "admin", "order.refunded", "order:5", before, after, WHEN)
    text, _ = audit_page("en", [entry], "Asia/Shanghai", page_size=20, first_page=True)
    return text


def test_money_times_and_missing_values_read_as_staff_read_them() -> None:
    text = _page(
        {"status": "paid", "deadline": "2026-12-08T12:00:00+00:00"},
        {"status": "refunded", "currency": "CNY", "total": 6780, "deadline": "2026-12-07T18:59:14.518270+00:00"},
    )
    assert "total: — → ¥67.80" in text, text
    assert "currency: — → CNY" in text and "status: paid → refunded" in text
    assert "deadline: 12-08 20:00 UTC+8 → 12-08 02:59 UTC+8" in text, text
    assert "null" not in text and "6780" not in text and "518270" not in text


def test_counts_and_words_are_left_as_they_are() -> None:
    text = _page({"stock": 3}, {"stock": 13})
    assert "stock: 3 → 13" in text


def test_a_word_that_reads_as_a_date_is_not_a_time_unless_its_field_is_one() -> None:
    # A title or note may hold ISO-looking text; only the moments the store records (starts_at, deadline, ...)
    # move to the shop's clock.
    text = _page({"title": "Sale"}, {"title": "2026-12-08T12:00:00+00:00", "starts_at": "2026-12-08T12:00:00+00:00"})
    assert "title: Sale → 2026-12-08T12:00:00+00:00" in text, text
    assert "starts_at: — → 12-08 20:00 UTC+8" in text, text
