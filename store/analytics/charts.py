"""Charts of a report as PNG bytes (matplotlib's Agg backend: no display needed). Labels may be Chinese, so a
font that has CJK glyphs is picked from those installed (WenQuanYi Micro Hei from Debian's
fonts-wqy-microhei, or Noto Sans CJK); without one, charts still render, with English labels only readable."""

from __future__ import annotations

import io
from functools import cache
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from store.analytics import Report
from store.money import exponent

CJK_FONTS = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC")
CJK_FILE_HINTS = ("wqy", "wenquanyi", "notosanscjk", "noto-cjk", "notosanssc", "sourcehansans")

LABELS = {
    "en": {
        "orders": "Paid orders by day",
        "gmv": "GMV ({currency})",
        "count": "Paid orders",
        "funnel": "Funnel",
        "view": "Card views",
        "add_to_cart": "Added to cart",
        "placed": "Orders placed",
        "paid": "Paid",
        "top": "Top products (units)",
    },
    "zh": {
        "orders": "每日已付款订单",
        "gmv": "成交额（{currency}）",
        "count": "已付款订单",
        "funnel": "转化漏斗",
        "view": "商品浏览",
        "add_to_cart": "加入购物车",
        "placed": "下单",
        "paid": "付款",
        "top": "热销商品（件数）",
    },
}


@cache
def cjk_font() -> str | None:
    found = _known_cjk_font()
    if found is None:
        # matplotlib caches its font list the first time it runs on a machine; a font installed after that
        # (CI installs WenQuanYi just before the tests) is missing from the cache until it is registered.
        for path in font_manager.findSystemFonts():
            if any(hint in path.lower() for hint in CJK_FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # an unreadable font file is skipped, not fatal
                    continue
        found = _known_cjk_font()
    return found


def _known_cjk_font() -> str | None:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _style() -> Any:  # matplotlib types rc keys as a Literal of every key
    font = cjk_font()
    return {"font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"], "axes.unicode_minus": False}


def _png(fig: object) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return buf.getvalue()


def _draw_orders(ax: object, report: Report, lang: str) -> None:
    """Bars: paid orders per day; line (right axis): GMV per day in the main currency, in major units."""
    labels = LABELS[lang]
    currency = report.currency or "CNY"
    days = [d.strftime("%m-%d") for d, _n, _g in report.by_day]
    counts = [n for _d, n, _g in report.by_day]
    ax.bar(days, counts, color="#4C78A8", label=labels["count"])  # type: ignore[attr-defined]
    ax.set_ylabel(labels["count"])  # type: ignore[attr-defined]
    ax.set_title(labels["orders"])  # type: ignore[attr-defined]
    twin = ax.twinx()  # type: ignore[attr-defined]
    # Display only: major units as floats on a chart axis, never in a sum that is kept.
    gmv = [g.get(currency, 0) / 10 ** exponent(currency) for _d, _n, g in report.by_day]
    twin.plot(days, gmv, color="#F58518", marker="o", label=labels["gmv"].format(currency=currency))
    twin.set_ylabel(labels["gmv"].format(currency=currency))
    twin.set_ylim(bottom=0)
    if len(days) > 10:
        ax.set_xticks(range(0, len(days), max(1, len(days) // 10)))  # type: ignore[attr-defined]


def _draw_funnel(ax: object, report: Report, lang: str) -> None:
    labels = LABELS[lang]
    names = [labels.get(step.key, step.key) for step in report.funnel][::-1]
    values = [step.count for step in report.funnel][::-1]
    bars = ax.barh(names, values, color="#54A24B")  # type: ignore[attr-defined]
    for bar, step in zip(bars, report.funnel[::-1], strict=True):
        note = f"{step.count}" + (f"  (-{step.drop_percent}%)" if step.drop_percent else "")
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, " " + note, va="center")  # type: ignore[attr-defined]
    ax.set_title(labels["funnel"])  # type: ignore[attr-defined]
    ax.set_xlim(0, max([*values, 1]) * 1.3)  # type: ignore[attr-defined]


def orders_chart(report: Report, lang: str) -> bytes:
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(8, 4))
        _draw_orders(ax, report, lang)
        fig.tight_layout()
        return _png(fig)


def funnel_chart(report: Report, lang: str) -> bytes:
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(8, 4))
        _draw_funnel(ax, report, lang)
        fig.tight_layout()
        return _png(fig)


def dashboard_figure(report: Report, lang: str) -> Figure:
    """Both charts on one figure (axes: orders by day, its GMV twin, the funnel); the caller closes it."""
    with plt.rc_context(_style()):
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 8))
        _draw_orders(top, report, lang)
        _draw_funnel(bottom, report, lang)
        fig.tight_layout()
        return fig


def dashboard(report: Report, lang: str) -> bytes:
    """Both charts in one image: one tap in chat gets one message back."""
    with plt.rc_context(_style()):
        return _png(dashboard_figure(report, lang))
