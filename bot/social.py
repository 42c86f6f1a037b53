"""Social pieces other screens carry: the share link, heart, rating and "You may also like" on a product card,
"Popular in this group" on a group's catalog card, suggestions after checkout. Each is one call from the
screen's handler, so the catalog and checkout handlers stay unaware of how suggestions are made.

Every piece is best effort: a failure to suggest is logged and the screen is drawn without it, never an
error for the shopper.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from aiogram.types import InlineKeyboardMarkup

from bot.context import AppContext
from bot.views import reviews as review_views
from bot.views import social as views
from bot.views.catalog import CardOptions, Screen
from store.catalog import ProductView
from store.product_card import CardFacts
from store.recommend.service import Recommender, order_products

log = logging.getLogger(__name__)

CARD_SUGGESTIONS = 3
GROUP_SUGGESTIONS = 3
CHECKOUT_SUGGESTIONS = 3


def recommender(ctx: AppContext) -> Recommender:
    return ctx.recommender


async def decorate_card(
    ctx: AppContext,
    user_id: int,
    chat_id: int | None,
    lang: str,
    product: ProductView,
    options: CardOptions,
    facts: CardFacts | None,
    *,
    visit: bool = True,
) -> CardOptions:
    """The card's options with what it says to this shopper: in the private chat their share link, cart count
    and suggestions; the heart and the rating (from `facts`, read with the card; None: the product vanished
    between reads, drawn without them). `visit`: the card was opened (not redrawn after a quantity tap), which
    the recommender counts as a view."""
    if not options.group:
        options = replace(
            options,
            referral=await ctx.referral_codes.code_for(user_id),
            in_cart=facts.in_cart if facts is not None else 0,
            watching=facts.watching if facts is not None else False,
        )
    wished, rating = (facts.wished, facts.rating) if facts is not None else (False, None)
    rec = recommender(ctx)
    if visit:
        rec.note_visit(user_id, product.id, chat_id if options.group else None)
    try:
        if options.group:
            rows = views.card_rows(lang, product.id, wished=False, group=True, similar=[])
        else:
            similar = await rec.similar(user_id, product.id, CARD_SUGGESTIONS)
            rows = views.card_rows(lang, product.id, wished=wished, group=False, similar=similar)
        button = review_views.reviews_button(lang, product.id, rating)
        if button:
            rows.insert(0, button)
    except Exception:
        log.exception("card extras for product %s failed", product.id)
        return options
    return replace(
        options, extra_rows=tuple(tuple(row) for row in rows), extra_line=review_views.rating_line(lang, rating)
    )


async def group_catalog(ctx: AppContext, chat_id: int, lang: str, screen: Screen) -> Screen:
    try:
        popular = await recommender(ctx).for_group(chat_id, GROUP_SUGGESTIONS)
    except Exception:
        log.exception("group suggestions for %s failed", chat_id)
        return screen
    return views.group_catalog(screen, lang, popular)


async def after_checkout(
    ctx: AppContext, user_id: int, lang: str, order_id: int, markup: InlineKeyboardMarkup
) -> InlineKeyboardMarkup:
    """The placed order's buttons with suggestions seeded by what was just ordered."""
    try:
        seeds = await order_products(ctx.db, order_id)
        products = await recommender(ctx).for_user(user_id, CHECKOUT_SUGGESTIONS, seeds=seeds)
    except Exception:
        log.exception("suggestions after checkout for %s failed", user_id)
        return markup
    return views.after_checkout(markup, lang, products) if products else markup


async def payment_notice(ctx: AppContext, user_id: int, order_id: int | None) -> dict[str, Any]:
    """Suggestions for the "paid" notice of `order_id`, drawn before the payment is recorded (the notice is an
    outbox row written in that transaction and drawn without the database). Empty when there are none."""
    if order_id is None:
        return {}
    try:
        seeds = await order_products(ctx.db, order_id)
        products = await recommender(ctx).for_user(user_id, CHECKOUT_SUGGESTIONS, seeds=seeds)
    except Exception:
        log.exception("suggestions after the payment of order %s failed", order_id)
        return {}
    if not products:
        return {}
    # Each at the price its card charges now: a live flash sale's, read with the suggestions.
    return {views.SUGGEST_PARAM: [views.suggestion_param(item, products.flash.get(item.id)) for item in products]}
