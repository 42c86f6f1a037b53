"""The shop core's rules from config: store/ never reads config itself, the composition root (and the CLI,
which changes orders too) builds them here and hands them to the Database."""

from __future__ import annotations

from bot.config import Settings
from store.growth import GrowthPolicy, TierRule
from store.rules import ShopRules, standard_rules


def shop_rules(settings: Settings) -> ShopRules:
    """The shop core's rules from config (store/ never reads config itself): the growth policy, and every
    feature's order hooks and discount providers as store.rules lists them."""
    loyalty = settings.loyalty
    return standard_rules(
        GrowthPolicy(
            timezone=settings.shop.timezone,
            checkin_points=loyalty.checkin_points,
            streak_bonuses={bonus.day: bonus.points for bonus in loyalty.streak_bonuses},
            referral_points=loyalty.referral_points,
            review_points=loyalty.review_points,
            welcome_coupon_percent=loyalty.welcome_coupon_percent,
            points_per_currency_unit=loyalty.points_per_currency_unit,
            point_value_minor=loyalty.point_value_minor,
            max_points_share_percent=loyalty.max_points_share_percent,
            points_expiry_days=loyalty.points_expiry_days,
            tiers=tuple(
                TierRule(
                    t.key,
                    t.name_en,
                    t.name_zh,
                    t.min_spend,
                    t.discount_percent,
                    t.free_delivery_over,
                    t.early_access_minutes,
                )
                for t in loyalty.tiers
            ),
        ),
        admins=frozenset(settings.admins),
    )
