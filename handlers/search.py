"""Search: `/search words`, the main-menu Search button, and the buttons of a results message (sort, price range,
category, pages, product) which edit that message in place.

Plain text in a private chat is NOT search: it goes to customer-service understanding (handlers/assistant.py,
last in the router order). Search is one tap away (the menu's Search button asks for words) and the assistant
may hand text that reads like a product name to `answer_search` after checking
`store.search.looks_like_product_query`. The one plain text taken here is the answer right after the Search
button asked for words (the short `SearchFlow.words` state, valid for PROMPT_TTL seconds).
"""

from __future__ import annotations

import time

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks.catalog import ProductCB
from bot.callbacks.common import MenuCB
from bot.callbacks.search import PREFIX, SearchCB
from bot.context import AppContext
from bot.i18n import t
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer, is_private
from bot.views import search as views
from store import search
from store.search import ResultItem, SearchResults, SearchTarget

routes = Routes("search")

PROMPT_TTL = 600


class SearchFlow(StatesGroup):
    words = State()


def product_target(item: ResultItem) -> views.Target:
    """The catalog feature's product card (it re-reads the product, so a stale result still opens correctly)."""
    return views.Target(callback_data=ProductCB(a="open", p=item.id, o="x").pack())


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
    body, markup = views.results_view(
        lang,
        results,
        buttons,
        [product_target(item) for item in results.items],
        [product_target(item) for item in results.suggested],
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


async def _ask_for_words(state: FSMContext) -> None:
    await state.set_state(SearchFlow.words)
    await state.update_data(search_asked_at=time.time())


@routes.message(Command("search"))
async def search_command(
    message: Message, command: CommandObject, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    if command.args and command.args.strip():
        await answer_search(message, ctx, lang, command.args)
        return
    if is_private(message):
        await _ask_for_words(state)
        text, markup = views.prompt_view(lang)
        await message.answer(text, reply_markup=markup)
    else:
        await message.reply(views.usage_text(lang))


@routes.callback_query(MenuCB.filter(F.action == "search"))
async def search_menu_button(query: CallbackQuery, lang: str, state: FSMContext) -> None:
    if not is_private(query.message if isinstance(query.message, Message) else None):
        await query.answer(views.usage_text(lang), show_alert=True)
        return
    await query.answer()
    await _ask_for_words(state)
    text, markup = views.prompt_view(lang)
    await edit_or_answer(query, text, markup)


@routes.message(SearchFlow.words, F.chat.type == "private", F.text, ~F.text.startswith("/"))
async def search_words(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    asked = (await state.get_data()).get("search_asked_at") or 0
    await state.set_state(None)
    if time.time() - float(asked) > PROMPT_TTL:
        raise SkipHandler  # an old question: the text is ordinary free text again
    await answer_search(message, ctx, lang, message.text or "")


@routes.callback_query(SearchCB.filter())
async def search_button(query: CallbackQuery, callback_data: SearchCB, ctx: AppContext, lang: str) -> None:
    target = await search.load_target(ctx.db, callback_data.s, callback_data.i)
    if target is None:
        await query.answer(t(lang, "search.expired"), show_alert=True)
        return
    await query.answer()
    try:
        results = await run_search(ctx, target)
    except ValueError:  # words saved by an older version that this one parses differently
        await edit_or_answer(query, views.usage_text(lang), None)
        return
    body, markup = await render(ctx, lang, results)
    await edit_or_answer(query, body, markup)


@routes.callback_query(F.data.startswith(PREFIX + ":"))
async def stale_search_button(query: CallbackQuery, lang: str) -> None:
    """A button from before search state moved server-side (it carried the words): ask for a new search."""
    await query.answer(t(lang, "search.expired"), show_alert=True)


def setup() -> Router:
    return routes.build()
