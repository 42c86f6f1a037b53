"""/admin -> Analytics: pick a period (today, 7 or 30 days); the bot answers with one chart image (paid orders
and GMV by day, the funnel) captioned with a one-line summary, in the admin's language."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup

from bot import analytics as events
from bot.access import require_role
from bot.admin_menu import AdminSection
from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.ops import AnalyticsCB
from bot.context import AppContext
from bot.i18n import t, t_plain
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from store import analytics
from store.errors import DomainError
from store.money import Money

# pyplot keeps global state: one chart at a time, drawn off the event loop (about half a second of CPU).
_DRAWING = threading.Lock()


def _draw(report: Any, lang: str) -> bytes:
    # matplotlib loads only when an admin first asks for a chart, never on the way to a shopper's first answer.
    from store.analytics import charts

    with _DRAWING:
        return charts.dashboard(report, lang)


routes = Routes("admin_analytics")

ADMIN_SECTION = AdminSection("analytics", "ops.section.analytics", "admin", order=35)


PERIODS = (1, 7, 30)


def _periods(lang: str) -> InlineKeyboardMarkup:
    row = [
        InlineKeyboardButton(
            text=t_plain(lang, "ops_an.today") if n == 1 else t_plain(lang, "ops_an.days", n=n),
            callback_data=AnalyticsCB(days=n).pack(),
        )
        for n in PERIODS
    ]
    back = InlineKeyboardButton(text=t_plain(lang, "admin.back"), callback_data=AdminMenuCB(section="home").pack())
    return InlineKeyboardMarkup(inline_keyboard=[row, [back]])


def summary_line(lang: str, report: analytics.Report) -> str:
    currency = report.currency or "CNY"
    views = report.funnel[0].count if report.funnel else 0
    conversion = round(100.0 * report.paid_orders / views, 1) if views else 0.0
    text = t(
        lang,
        "ops_an.summary",
        start=report.period.start.isoformat(),
        end=report.period.end.isoformat(),
        paid=report.paid_orders,
        gmv=Money(report.gmv.get(currency, 0), currency).format(),
        aov=Money(report.aov.get(currency, 0), currency).format(),
        conversion=conversion,
        repeat=round(100.0 * report.repeat_rate, 1),
    )
    progs = report.programs
    text += "\n" + t(
        lang,
        "ops_an.programs",
        groupbuy=round(100 * progs.groupbuy_success_rate, 1),
        flash=round(100 * progs.flash_sell_through, 1),
        referral=round(100 * progs.referral_conversion, 1),
        day1=round(100 * progs.retention(1), 1),
    )
    if report.top_products:
        items = ", ".join(f"{p.title_zh if lang == 'zh' else p.title_en} ×{p.units}" for p in report.top_products[:3])
        text += "\n" + t(lang, "ops_an.top", items=items)
    return text[:1024]


@routes.callback_query(AdminMenuCB.filter(F.section == "analytics"))
async def analytics_section(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    await query.answer()
    await edit_or_answer(query, t(lang, "ops_an.title"), _periods(lang))


@routes.callback_query(AnalyticsCB.filter())
async def analytics_period(query: CallbackQuery, callback_data: AnalyticsCB, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    if callback_data.days not in PERIODS:
        raise DomainError("bad_button")
    await query.answer()
    await events.flush(ctx)  # the figures include views counted up to this tap
    zone = ctx.settings.shop.timezone
    period = analytics.Period.last_days(callback_data.days, datetime.now(ZoneInfo(zone)).date(), zone)
    report = await analytics.report(ctx.db, period)
    png = await asyncio.to_thread(_draw, report, lang)
    await ctx.bot.send_photo(
        query.from_user.id,
        BufferedInputFile(png, filename=f"analytics-{period.start}-{period.end}.png"),
        caption=summary_line(lang, report),
    )


def setup() -> Router:
    return routes.build()
