"""Search results as a message: run a search for the shopper's words and render the page, saving where each
button leads first (used by the search feature and by the assistant for product-like text)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup, Message

from bot.callbacks.catalog import ProductCB
from bot.context import AppContext
from bot.views import search as views
from store import search
from store.search import ResultItem, SearchResults, SearchTarget


def product_target(item: ResultItem, state_id: str, back: int) -> views.Target:
    """The catalog feature's product card (it re-reads the product, so a stale result still opens correctly);
    its Back is button `back` of the results saved under `state_id`, i.e. the same results page."""
    return views.Target(callback_data=ProductCB(a="open", p=item.id, n=back, o=f"s{state_id}").pack())


async def run_search(ctx: AppContext, target: SearchTarget) -> SearchResults:
    settings = ctx.settings
    return await search.search_products(
        ctx.search,
        target.words,
        sort=target.sort,
        category_id=target.category_id,
        price_min=target.price_min,
        price_max=target.price_max,
        page=target.page,
        page_size=settings.catalog.search_page_size,
        currency=settings.shop.currency,
        refresh_seconds=settings.catalog.search_refresh_seconds,
    )


async def render(
    ctx: AppContext, lang: str, results: SearchResults, typed: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    """The results message; its buttons' destinations are saved first, so every button works once it is seen."""
    buttons = views.StateButtons(search.new_state_id())
    # Product cards go Back to this very screen, so it is one of the saved destinations when it lists any.
    back = buttons.number(views.screen_target(results)) if results.items or results.suggested else 0
    body, markup = views.results_view(
        lang,
        results,
        buttons,
        [product_target(item, buttons.state_id, back) for item in results.items],
        [product_target(item, buttons.state_id, back) for item in results.suggested],
        ctx.settings.shop.currency,
        typed=typed,
    )
    if buttons.targets:
        await search.save_targets(ctx.db, buttons.state_id, buttons.targets)
    return body, markup


async def answer_search(message: Message, ctx: AppContext, lang: str, text: str) -> None:
    """Reply with the first page of results for `text` (also used by the assistant for product-like text)."""
    try:
        results = await run_search(ctx, SearchTarget(words=text))
    except ValueError:  # a typed price the currency cannot have (e.g. <1.234)
        await message.answer(views.usage_text(lang))
        return
    if results.parsed.empty and results.price_min is None and results.price_max is None:
        # Only emoji or punctuation: nothing to search for, and the shopper should hear exactly that.
        results = views.nothing_searchable(results)
    body, markup = await render(ctx, lang, results, typed=text)
    await message.answer(body, reply_markup=markup)
