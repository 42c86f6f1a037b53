"""The numbers growth runs on (from config.yaml `loyalty`); the composition root puts them in the shop rules
(store.rules), and store code reads them with `store.rules.policy(session)`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TierRule:
    key: str
    name_en: str
    name_zh: str
    min_spend: int  # minor units over the rolling 12 months
    discount_percent: float = 0.0
    free_delivery_over: int | None = None
    early_access_minutes: int = 0

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


def _default_tiers() -> tuple[TierRule, ...]:
    return (
        TierRule("member", "Member", "会员", 0),
        TierRule("silver", "Silver", "白银", 50_000, 3, 5_000),
        TierRule("gold", "Gold", "黄金", 200_000, 6, 0, 10),
    )


@dataclass(frozen=True)
class GrowthPolicy:
    timezone: str = "Asia/Shanghai"
    checkin_points: int = 10
    streak_bonuses: dict[int, int] = field(default_factory=lambda: {7: 50, 30: 300})
    referral_points: int = 200
    review_points: int = 10  # once per reviewed order line
    welcome_coupon_percent: float = 10
    points_per_currency_unit: float = 1.0
    point_value_minor: int = 1
    max_points_share_percent: float = 30
    points_expiry_days: int = 365
    tiers: tuple[TierRule, ...] = field(default_factory=_default_tiers)
    # A referral counts only for a user new to the shop: first contact within this many seconds, no orders.
    new_user_window_seconds: int = 600
