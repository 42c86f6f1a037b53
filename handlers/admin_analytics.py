"""/admin -> Analytics: pick a period (today, 7 or 30 days, this or last month, or "Custom" and type two days,
read by store.analytics.periods like `groupcart report`); the bot answers with one chart image (paid orders
and GMV by day, the funnel) captioned with a short summary, in the admin's language."""

from __future__ import annotations

import asyncio
import threading
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import analytics as events
from bot.access import require_role
from bot.admin_menu import AdminSection
from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.ops import AnalyticsCB
from bot.context import AppContext
from bot.i18n import t, t_plain
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from dialogues.ops import OpsSG
from store import analytics
from store.analytics import periods
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
# Preset buttons beside the last-N-days ones: callback key -> store.analytics.periods preset name.
PRESET_KEYS = {"tm": "this_month", "lm": "last_month"}
CUSTOM = "c"


def _periods(lang: str) -> InlineKeyboardMarkup:
    row = [
        InlineKeyboardButton(
            text=t_plain(lang, "ops_an.today") if n == 1 else t_plain(lang, "ops_an.days", n=n),
            callback_data=AnalyticsCB(days=n).pack(),
        )
        for n in PERIODS
    ]
    months = [
        InlineKeyboardButton(text=t_plain(lang, f"ops_an.preset_{key}"), callback_data=AnalyticsCB(k=key).pack())
        for key in PRESET_KEYS
    ]
    custom = InlineKeyboardButton(text=t_plain(lang, "ops_an.custom"), callback_data=AnalyticsCB(k=CUSTOM).pack())
    back = InlineKeyboardButton(text=t_plain(lang, "admin.back"), callback_data=AdminMenuCB(section="home").pack())
    return InlineKeyboardMarkup(inline_keyboard=[row, months, [custom], [back]])


def _percent(value: float) -> float:
    return round(100.0 * value, 1)


def summary_line(lang: str, report: analytics.Report) -> str:
    currency = report.currency or "CNY"
    views = report.funnel[0].count if report.funnel else 0
    conversion = round(100.0 * report.paid_orders / views, 1) if views else 0.0
    text = t(
        lang,
        "ops_an.summary",
        start=report.period.start.isoformat(),
        end=report.period.end.isoformat(),
        # The count GMV and AOV are made of: Stars orders get their own line below, as they do for GMV.
        paid=report.cash_paid_orders,
        gmv=Money(report.gmv.get(currency, 0), currency).format(),
        aov=Money(report.aov.get(currency, 0), currency).format(),
        conversion=conversion,
        repeat=_percent(report.repeat_rate),
    )
    if report.stars.orders:
        text += "\n" + t(lang, "ops_an.stars", orders=report.stars.orders, stars=report.stars.stars)
    progs = report.programs
    text += "\n" + t(
        lang,
        "ops_an.programs",
        groupbuy=_percent(progs.groupbuy_success_rate),
        flash=_percent(progs.flash_sell_through),
        referral=_percent(progs.referral_conversion),
    )
    text += "\n" + t(
        lang,
        "ops_an.retention",
        cohort=progs.checkin_cohort,
        day1=_percent(progs.retention(1)),
        day7=_percent(progs.retention(7)),
        day30=_percent(progs.retention(30)),
    )
    if report.top_products:
        items = ", ".join(f"{p.title_zh if lang == 'zh' else p.title_en} ×{p.units}" for p in report.top_products[:3])
        text += "\n" + t(lang, "ops_an.top", items=items)
    if report.top_categories:
        items = ", ".join(f"{c.name_zh if lang == 'zh' else c.name_en} ×{c.units}" for c in report.top_categories[:3])
        text += "\n" + t(lang, "ops_an.top_categories", items=items)
    return text[:1024]


def _today(ctx: AppContext) -> date:
    return datetime.now(ZoneInfo(ctx.settings.shop.timezone)).date()


async def _send_report(ctx: AppContext, user_id: int, lang: str, period: analytics.Period) -> None:
    await events.flush(ctx)  # the figures include views counted up to this tap
    report = await analytics.report(ctx.db, period, today=_today(ctx))
    png = await asyncio.to_thread(_draw, report, lang)
    await ctx.bot.send_photo(
        user_id,
        BufferedInputFile(png, filename=f"analytics-{period.start}-{period.end}.png"),
        caption=summary_line(lang, report),
    )


@routes.callback_query(AdminMenuCB.filter(F.section == "analytics"))
async def analytics_section(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    await query.answer()
    await edit_or_answer(query, t(lang, "ops_an.title"), _periods(lang))


@routes.callback_query(AnalyticsCB.filter(F.k == CUSTOM))
async def analytics_custom(query: CallbackQuery, ctx: AppContext, lang: str, state: FSMContext) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    await state.set_state(OpsSG.analytics_period)
    await query.answer()
    await ctx.bot.send_message(query.from_user.id, _prompt(ctx, lang))


def _prompt(ctx: AppContext, lang: str) -> str:
    today = _today(ctx)
    return t(
        lang,
        "ops_an.custom_prompt",
        example=f"{today.replace(day=1).isoformat()} {today.isoformat()}",
        max=periods.MAX_DAYS,
        tz=ctx.settings.shop.timezone,
    )


@routes.callback_query(AnalyticsCB.filter())
async def analytics_period(query: CallbackQuery, callback_data: AnalyticsCB, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    zone = ctx.settings.shop.timezone
    if callback_data.k in PRESET_KEYS:
        period = periods.preset(PRESET_KEYS[callback_data.k], _today(ctx), zone)
    elif not callback_data.k and callback_data.days in PERIODS:
        period = analytics.Period.last_days(callback_data.days, _today(ctx), zone)
    else:
        raise DomainError("bad_button")
    await query.answer()
    await _send_report(ctx, query.from_user.id, lang, period)


@routes.message(StateFilter(OpsSG.analytics_period), Command("cancel"))
async def custom_cancel(message: Message, lang: str, state: FSMContext) -> None:
    await state.set_state(None)
    await message.answer(t(lang, "ops_an.custom_cancelled"))


@routes.message(StateFilter(OpsSG.analytics_period), F.text, ~F.text.startswith("/"))
async def custom_typed(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    if message.from_user is None:
        return
    await require_role(ctx, message.from_user.id, "admin")
    # A refused period raises: the error handler says what is wrong and the admin stays here to try again.
    period = periods.parse(message.text or "", _today(ctx), ctx.settings.shop.timezone)
    await state.set_state(None)
    await _send_report(ctx, message.from_user.id, lang, period)


@routes.message(StateFilter(OpsSG.analytics_period), ~F.text)
async def custom_not_text(message: Message, ctx: AppContext, lang: str) -> None:
    await message.answer(_prompt(ctx, lang))


def setup() -> Router:
    return routes.build()
