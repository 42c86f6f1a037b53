"""The shop's delivery rule from config (shop.delivery_fee, shop.free_delivery_over): one for a checkout
(handlers/checkout.policy), a group buy (bot/groupbuy_cards.policy) and a flash-sale winner's order."""

from __future__ import annotations

from bot.config import Settings
from store.delivery_fee import DeliveryRule


def delivery_rule(settings: Settings) -> DeliveryRule:
    return DeliveryRule(fee=settings.shop.delivery_fee, free_over=settings.shop.free_delivery_over)
