"""Views of points, check-ins, tiers, referrals and coupons: data in, text and buttons out."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.growth import GrowthCB
from bot.context import AppContext
from bot.i18n import t
from bot.outbox import Outgoing
from store.growth.checkin import CheckinResult
from store.growth.coupons import CouponView
from store.growth.points import Movement
from store.growth.referrals import ReferralStats
from store.growth.tiers import TierStatus
from store.money import Money


def coupon_value(coupon: CouponView, lang: str, currency: str) -> str:
    if coupon.kind == "percent":
        return t(lang, "growth.percent_off", percent=coupon.value)
    return t(lang, "growth.amount_off", amount=Money(coupon.value, coupon.currency or currency).format())


CHECKIN_LINK = ("ci", "go")  # deep link from a group reply: check in, in the private chat
POINTS_LINK = ("ci", "pts")  # deep link from a group reply to /points: the points screen, in the private chat
INVITE_LINK = ("inv", "me")  # deep link from a group reply to /invite: the invite screen, in the private chat


def checkin_text(lang: str, result: CheckinResult) -> str:
    if result.already:
        return t(lang, "growth.checkin_already", streak=result.streak, balance=result.balance)
    text = t(lang, "growth.checkin_done", streak=result.streak, points=result.points, balance=result.balance)
    if result.bonus:
        text += "\n" + t(lang, "growth.checkin_bonus", bonus=result.bonus, streak=result.streak)
    return text


def points_view(
    lang: str,
    balance: int,
    tier: TierStatus,
    history: list[Movement],
    currency: str,
    reminder_on: bool,
    reminder_at: str,
) -> tuple[str, InlineKeyboardMarkup]:
    """`reminder_at`: when the daily reminder comes, with its zone (`09:00 UTC+8`, bot.views.clock.daily_at)."""
    lines = [t(lang, "growth.points_title", balance=balance)]
    discount = tier.tier.discount_percent
    if discount:
        lines.append(t(lang, "growth.tier_line", tier=tier.tier.name(lang), discount=f"{discount:g}"))
    else:  # the entry tier: "(0% member discount)" reads as a perk that is not one (outside tester)
        lines.append(t(lang, "growth.tier_line_plain", tier=tier.tier.name(lang)))
    if tier.next_tier is not None:
        lines.append(
            t(
                lang,
                "growth.tier_next",
                amount=Money(tier.to_next, currency).format(),
                tier=tier.next_tier.name(lang),
            )
        )
    if history:
        lines.append("")
        lines.append(t(lang, "growth.history_title"))
        for move in history:
            sign = "+" if move.delta > 0 else ""
            lines.append(f"{sign}{move.delta} · {t(lang, f'growth.kind_{move.kind}')}")
    builder = InlineKeyboardBuilder()
    builder.button(text=t(lang, "growth.btn_checkin"), callback_data=GrowthCB(action="checkin"))
    builder.button(text=t(lang, "growth.btn_shop"), callback_data=GrowthCB(action="shop"))
    builder.button(text=t(lang, "growth.btn_coupons"), callback_data=GrowthCB(action="coupons"))
    # The label says the reminder's state, its icon matching it (🔔 on, 🔕 off); a tap flips it.
    builder.button(
        text=t(lang, "growth.btn_reminder_is_on" if reminder_on else "growth.btn_reminder_is_off", at=reminder_at),
        callback_data=GrowthCB(action="remind", value="off" if reminder_on else "on"),
    )
    builder.adjust(2, 2)
    return "\n".join(lines), builder.as_markup()


def back_to_points(lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t(lang, "menu.back"), callback_data=GrowthCB(action="points").pack())]
        ]
    )


def shop_view(lang: str, offers: list[CouponView], balance: int, currency: str) -> tuple[str, InlineKeyboardMarkup]:
    if not offers:
        return t(lang, "growth.shop_empty", balance=balance), back_to_points(lang)
    lines = [t(lang, "growth.shop_title", balance=balance)]
    builder = InlineKeyboardBuilder()
    for offer in offers:
        label = t(lang, "growth.shop_item", value=coupon_value(offer, lang, currency), cost=offer.points_cost or 0)
        lines.append("• " + label)
        builder.button(text=label, callback_data=GrowthCB(action="buy", value=offer.code))
    builder.button(text=t(lang, "menu.back"), callback_data=GrowthCB(action="points"))
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


def my_coupons_view(lang: str, items: list[CouponView], currency: str) -> tuple[str, InlineKeyboardMarkup]:
    if not items:
        return t(lang, "growth.coupons_empty"), back_to_points(lang)
    lines = [t(lang, "growth.coupons_title")]
    for coupon in items:
        lines.append(f"• <code>{html.escape(coupon.code)}</code> — {coupon_value(coupon, lang, currency)}")
    lines.append(t(lang, "growth.coupons_hint"))
    return "\n".join(lines), back_to_points(lang)


def invite_view(
    lang: str, link: str, stats: ReferralStats, reward: int, percent: float
) -> tuple[str, InlineKeyboardMarkup]:
    # The friend's coupon comes when they open the link (store.growth.referrals.attribute), the points when
    # their first order is paid; with no welcome coupon configured the screen promises none.
    text = t(
        lang,
        "growth.invite" if percent > 0 else "growth.invite_no_coupon",
        link=html.escape(link),
        invited=stats.invited,
        bought=stats.bought,
        earned=stats.points_earned,
        reward=reward,
        percent=f"{percent:g}",
    )
    share = f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(t(lang, 'growth.share_text'), safe='')}"
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=t(lang, "growth.btn_share"), url=share)]])
    return text, markup


def admin_coupons_view(lang: str, items: list[CouponView], currency: str) -> tuple[str, InlineKeyboardMarkup]:
    lines = [t(lang, "growth.admin_title")]
    for coupon in items:
        used = f"{coupon.used_count}/{coupon.total_limit}" if coupon.total_limit else str(coupon.used_count)
        lines.append(f"• <code>{html.escape(coupon.code)}</code> {coupon_value(coupon, lang, currency)} · {used}")
    if not items:
        lines.append(t(lang, "growth.admin_none"))
    lines.append("")
    lines.append(t(lang, "growth.admin_help"))
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t(lang, "menu.back"), callback_data=AdminMenuCB(section="home").pack())]
        ]
    )
    return "\n".join(lines), markup


def render_tier_changed(app: AppContext, lang: str, params: dict[str, Any]) -> Outgoing:
    name = params.get("tier_zh") if lang == "zh" else params.get("tier_en")
    return Outgoing(text=t(lang, "growth.tier_changed", tier=name, discount=params.get("discount", "0")))
