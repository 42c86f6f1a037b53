"""A self-contained report: one HTML file with the charts inlined (base64 PNG, no outside files or links) and
the figures as CSV files beside it, for a shop owner to open or load into a spreadsheet."""

from __future__ import annotations

import base64
import csv
import html
import io
from pathlib import Path

from store.analytics import Report, charts


def _csv(header: list[str], rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def csv_files(report: Report) -> dict[str, str]:
    currencies = sorted(report.gmv) or ["CNY"]
    return {
        "orders_by_day.csv": _csv(
            ["day", "paid_orders", *[f"gmv_{c}_minor" for c in currencies]],
            [[d.isoformat(), n, *[g.get(c, 0) for c in currencies]] for d, n, g in report.by_day],
        ),
        "funnel.csv": _csv(
            ["step", "count", "drop_percent"],
            [[s.key, s.count, "" if s.drop_percent is None else s.drop_percent] for s in report.funnel],
        ),
        "top_products.csv": _csv(
            ["sku", "title_en", "title_zh", "units", "revenue_minor", "currency"],
            [[p.sku, p.title_en, p.title_zh, p.units, p.revenue, p.currency] for p in report.top_products],
        ),
        "top_categories.csv": _csv(
            ["slug", "name_en", "name_zh", "units", "revenue_minor", "currency"],
            [[c.slug, c.name_en, c.name_zh, c.units, c.revenue, c.currency] for c in report.top_categories],
        ),
        "summary.csv": _csv(
            ["figure", "value"],
            [
                ["orders_placed", report.orders_placed],
                ["paid_orders", report.paid_orders],
                *[[f"gmv_{c}_minor", v] for c, v in sorted(report.gmv.items())],
                *[[f"aov_{c}_minor", v] for c, v in sorted(report.aov.items())],
                ["stars_orders", report.stars.orders],
                ["stars_total", report.stars.stars],
                ["buyers", report.buyers],
                ["repeat_buyers", report.repeat_buyers],
                ["repeat_rate", round(report.repeat_rate, 4)],
                ["groupbuy_success_rate", round(report.programs.groupbuy_success_rate, 4)],
                ["groupbuy_avg_participants", report.programs.groupbuy_avg_participants],
                ["flash_sell_through", round(report.programs.flash_sell_through, 4)],
                ["flash_avg_sellout_seconds", report.programs.flash_avg_sellout_seconds or ""],
                ["referral_conversion", round(report.programs.referral_conversion, 4)],
                ["checkin_retention_day1", round(report.programs.retention(1), 4)],
                ["checkin_retention_day7", round(report.programs.retention(7), 4)],
                ["checkin_retention_day30", round(report.programs.retention(30), 4)],
                ["checkin_cohort", report.programs.checkin_cohort],
                ["support_tickets", report.programs.tickets],
                ["support_first_response_seconds", report.programs.first_response_seconds or ""],
                ["support_resolution_seconds", report.programs.resolution_seconds or ""],
                ["support_csat", report.programs.csat or ""],
            ],
        ),
    }


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def write(report: Report, out_dir: Path, summary: str) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    files = csv_files(report)
    written = []
    for name, text in files.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    links = "".join(f'<li><a href="{html.escape(name)}">{html.escape(name)}</a></li>' for name in files)
    title = f"groupcart report {report.period.start} – {report.period.end}"
    page = (
        '<!doctype html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:860px;margin:2em auto}img{max-width:100%}</style>"
        f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(summary)}</p>"
        f"{_img(charts.orders_chart(report, 'en'), 'Paid orders and GMV by day')}"
        f"{_img(charts.funnel_chart(report, 'en'), 'Funnel')}"
        f"{_img(charts.orders_chart(report, 'zh'), '每日已付款订单与成交额')}"
        f"<h2>CSV</h2><ul>{links}</ul></body></html>"
    )
    index = out_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return [index, *written]
