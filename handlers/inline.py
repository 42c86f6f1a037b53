"""Inline mode: `@<bot> tea` in any chat lists matching products; choosing one posts a compact card whose
"Open in shop" deep link carries the sharer's referral code, so a product shared this way earns the same
referral reward as an /invite link. An empty query lists the newest products. Pages: offset = page number."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ChosenInlineResult, InlineQuery, InlineQueryResultUnion

from bot.context import AppContext
from bot.deeplinks import start_link
from bot.routes import Routes
from bot.views import inline as views
from store import catalog, search
from store.search import ResultItem

routes = Routes("inline")
log = logging.getLogger(__name__)

PAGE_SIZE = 20  # results per answer (Telegram allows 50)
# Stock and price change; a short server-side cache still spares the bot a query per keystroke of a repeat.
CACHE_SECONDS = 5
MAX_PAGE = 1000  # an offset is ours, but a client could send anything


def parse_offset(offset: str) -> int:
    return min(int(offset), MAX_PAGE) if offset.isdigit() else 0


async def find_products(ctx: AppContext, text: str, page: int) -> tuple[tuple[ResultItem, ...], str]:
    """One page of products for the query and the next_offset to give Telegram ("" when there is no more)."""
    words = text.strip()
    try:
        results = await search.search_products(
            ctx.search,
            words,
            sort="relevance" if words else "newest",
            page=page,
            page_size=PAGE_SIZE,
            currency=ctx.settings.shop.currency,
            refresh_seconds=ctx.settings.catalog.search_refresh_seconds,
        )
    except ValueError:  # a typed price the currency cannot have (e.g. <1.234): nothing to offer
        return (), ""
    if results.page != page:  # search clamps a page past the end to the last one; scrolling on must stop
        return (), ""
    if not results.items:
        # a typo ("aple") finds nothing but has close products: offer those on the first page
        return (results.suggested if page == 0 else ()), ""
    more = page + 1 < results.pages
    return results.items, str(page + 1) if more else ""




def product_results(
    ctx: AppContext, lang: str, items: tuple[ResultItem, ...], code: str
) -> list[InlineQueryResultUnion]:
    results: list[InlineQueryResultUnion] = []
    for item in items[: views.RESULTS_MAX]:
        if not catalog.valid_sku(item.sku):  # an imported SKU a deep link cannot carry: no way to open it
            continue
        link = start_link(ctx.bot_username, "p", item.sku, referral=code)
        results.append(views.product_result(lang, item, link))
    return results


@routes.inline_query()
async def inline_products(query: InlineQuery, ctx: AppContext, lang: str) -> None:
    page = parse_offset(query.offset)
    items, next_offset = await find_products(ctx, query.query, page)
    code = await ctx.referral_codes.code_for(query.from_user.id) if items else ""
    results = product_results(ctx, lang, items, code)
    # is_personal: every result carries this user's referral code, so Telegram must not reuse it for others
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=True, next_offset=next_offset)


@routes.chosen_inline_result()
async def inline_chosen(chosen: ChosenInlineResult) -> None:
    # Nothing to store: the card's deep link does the attribution when someone opens it.
    log.info(
        "inline result %s (product %s) shared by %s",
        chosen.result_id,
        views.product_id_of(chosen.result_id),
        chosen.from_user.id,
    )


def setup() -> Router:
    return routes.build()
