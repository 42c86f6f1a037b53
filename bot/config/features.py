"""Configuration of the social and growth features (group buys, flash sales, loyalty, support)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from bot.config.sections import Section


class GroupBuySettings(Section):
    commission_percent: float = Field(default=5.0, ge=0, le=100)
    payment_window_minutes: int = Field(default=60, ge=1)
    card_edit_min_seconds: float = Field(
        default=3.5, gt=0, description="minimum gap between edits of one group's cards (20/min limit)"
    )
    max_duration_days: int = Field(default=14, ge=1)
    countdown_refresh_seconds: int = Field(
        default=300, ge=10, description="how often an open group buy's card redraws its countdown"
    )


class FlashSaleSettings(Section):
    payment_window_minutes: int = Field(default=5, ge=1)
    start_grace_seconds: int = Field(default=300, ge=0, description="late start allowed after a restart")
    answer_budget_seconds: float = Field(
        default=8.0,
        gt=0,
        le=12.0,
        description="how long a Buy tap waits for its batch before it is answered 'busy, you are in the queue' "
        "(Telegram drops a callback answer after 15 s)",
    )
    count_refresh_seconds: float = Field(
        default=10.0,
        gt=0,
        description="a live sale's group cards redraw their units left at most this often (one edit per group "
        "each time, well under Telegram's 20 messages a minute per group)",
    )


class StreakBonus(Section):
    day: int = Field(ge=2)
    points: int = Field(ge=1)


class TierSettings(Section):
    key: str = Field(pattern=r"^[a-z_]{1,20}$")
    name_en: str
    name_zh: str
    min_spend: int = Field(ge=0, description="minor units over the rolling 12 months")
    discount_percent: float = Field(default=0, ge=0, le=50)
    free_delivery_over: int | None = None
    early_access_minutes: int = Field(default=0, ge=0)


def _default_tiers() -> list[TierSettings]:
    return [
        TierSettings(key="member", name_en="Member", name_zh="会员", min_spend=0),
        TierSettings(
            key="silver",
            name_en="Silver",
            name_zh="白银",
            min_spend=50000,
            discount_percent=3,
            free_delivery_over=5000,
        ),
        TierSettings(
            key="gold",
            name_en="Gold",
            name_zh="黄金",
            min_spend=200000,
            discount_percent=6,
            free_delivery_over=0,
            early_access_minutes=10,
        ),
    ]


class LoyaltySettings(Section):
    checkin_points: int = Field(default=10, ge=0)
    review_points: int = Field(default=10, ge=0)
    streak_bonuses: list[StreakBonus] = Field(
        default_factory=lambda: [StreakBonus(day=7, points=50), StreakBonus(day=30, points=300)]
    )
    referral_points: int = Field(default=200, ge=0)
    welcome_coupon_percent: float = Field(default=10, ge=0, le=100)
    points_per_currency_unit: float = Field(default=1.0, ge=0, description="points per 1 major unit paid")
    point_value_minor: int = Field(default=1, ge=0, description="discount in minor units per point")
    max_points_share_percent: float = Field(default=30, ge=0, le=100)
    points_expiry_days: int = Field(default=365, ge=1)
    reminder_hour: int = Field(default=9, ge=0, le=23)
    tiers: list[TierSettings] = Field(default_factory=_default_tiers)


class DigestSettings(Section):
    """The weekly "what's hot" card in every group (store/social/digest.py), at this shop-time day and hour."""

    weekday: int = Field(default=4, ge=0, le=6)  # 0 = Monday ... 6 = Sunday
    hour: int = Field(default=18, ge=0, le=23)


class SupportSettings(Section):
    chat_id: int | None = None
    internal_marker: str = "//"
    take_sla_minutes: int = Field(default=10, ge=1)
    reply_sla_minutes: int = Field(default=15, ge=1)
    # How an agent's reply is signed for the shopper: "name" ("Sam · support"), "team" ("Support") or "none".
    reply_label: Literal["name", "team", "none"] = "name"
