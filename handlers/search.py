"""Search: `/search words`, the main-menu Search button, and the buttons of a results message (sort, price range,
category, pages, product) which edit that message in place.

Plain text in a private chat is NOT search: it goes to customer-service understanding (handlers/assistant.py,
last in the router order). Search is one tap away (the menu's Search button asks for words) and the assistant
may hand text that reads like a product name to `answer_search` after checking
`store.search.looks_like_product_query`. The one plain text taken here is the answer right after the Search
button asked for words (the short `SearchFlow.words` state, valid for PROMPT_TTL seconds).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks.catalog import ProductCB
from bot.callbacks.common import MenuCB
from bot.callbacks.search import SearchCB, fits
from bot.context import AppContext
from bot.i18n import t
from bot.telegram_utils import edit_or_answer, is_private
from bot.views import search as views
from store import search
from store.search import ResultItem, SearchResults

router = Router(name="search")

PROMPT_TTL = 600
QUERY_CACHE_KEY = "search_queries"
QUERY_CACHE_SIZE = 20_000


class SearchFlow(StatesGroup):
    words = State()


def query_ref(ctx: AppContext, words: str) -> str:
    """What buttons carry for `words`: the words themselves, or a short key when they are too long."""
    if fits(words):
        return words
    cache: OrderedDict[str, str] = ctx.extras.setdefault(QUERY_CACHE_KEY, OrderedDict())
    key = hashlib.blake2s(words.encode(), digest_size=6).hexdigest()
    cache[key] = words
    cache.move_to_end(key)
    while len(cache) > QUERY_CACHE_SIZE:
        cache.popitem(last=False)
    return "~" + key


def resolve_ref(ctx: AppContext, ref: str) -> str | None:
    if not ref.startswith("~"):
        return ref
    cache: OrderedDict[str, str] = ctx.extras.get(QUERY_CACHE_KEY) or OrderedDict()
    return cache.get(ref[1:])


def product_target(item: ResultItem) -> views.Target:
    """The catalog feature's product card (it re-reads the product, so a stale result still opens correctly)."""
    return views.Target(callback_data=ProductCB(a="open", p=item.id, o="x").pack())


async def run_search(
    ctx: AppContext,
    words: str,
    *,
    sort: str = "relevance",
    category_id: int | None = None,
    price_min: int | None = None,
    price_max: int | None = None,
    page: int = 0,
) -> SearchResults:
    settings = ctx.settings
    return await search.search_products(
        ctx.db,
        ctx.extras,
        words,
        sort=sort,
        category_id=category_id,
        price_min=price_min,
        price_max=price_max,
        page=page,
        page_size=settings.catalog.search_page_size,
        currency=settings.shop.currency,
        refresh_seconds=settings.catalog.search_refresh_seconds,
    )


def render(ctx: AppContext, lang: str, results: SearchResults) -> tuple[str, InlineKeyboardMarkup]:
    return views.results_view(
        lang,
        results,
        query_ref(ctx, results.query),
        [product_target(item) for item in results.items],
        [product_target(item) for item in results.suggested],
        ctx.settings.shop.currency,
        suggestion_ref=query_ref(ctx, results.suggestion) if results.suggestion else None,
    )


async def answer_search(message: Message, ctx: AppContext, lang: str, text: str) -> None:
    """Reply with the first page of results for `text` (also used by the assistant for product-like text)."""
    try:
        results = await run_search(ctx, text)
    except ValueError:  # a typed price the currency cannot have (e.g. <1.234)
        await message.answer(views.usage_text(lang))
        return
    if results.parsed.empty and results.price_min is None and results.price_max is None:
        await message.answer(views.usage_text(lang))
        return
    body, markup = render(ctx, lang, results)
    await message.answer(body, reply_markup=markup)


async def _ask_for_words(state: FSMContext) -> None:
    await state.set_state(SearchFlow.words)
    await state.update_data(search_asked_at=time.time())


@router.message(Command("search"))
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


@router.callback_query(MenuCB.filter(F.action == "search"))
async def search_menu_button(query: CallbackQuery, lang: str, state: FSMContext) -> None:
    if not is_private(query.message if isinstance(query.message, Message) else None):
        await query.answer(views.usage_text(lang), show_alert=True)
        return
    await query.answer()
    await _ask_for_words(state)
    text, markup = views.prompt_view(lang)
    await edit_or_answer(query, text, markup)


@router.message(SearchFlow.words, F.chat.type == "private", F.text, ~F.text.startswith("/"))
async def search_words(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    asked = (await state.get_data()).get("search_asked_at") or 0
    await state.set_state(None)
    if time.time() - float(asked) > PROMPT_TTL:
        raise SkipHandler  # an old question: the text is ordinary free text again
    await answer_search(message, ctx, lang, message.text or "")


@router.callback_query(SearchCB.filter())
async def search_button(query: CallbackQuery, callback_data: SearchCB, ctx: AppContext, lang: str) -> None:
    words = resolve_ref(ctx, callback_data.q)
    if words is None:
        await query.answer(t(lang, "search.expired"), show_alert=True)
        return
    await query.answer()
    results = await run_search(
        ctx,
        words,
        sort=callback_data.sort,
        category_id=callback_data.c,
        price_min=callback_data.lo,
        price_max=callback_data.hi,
        page=max(callback_data.p, 0),
    )
    body, markup = render(ctx, lang, results)
    await edit_or_answer(query, body, markup)
