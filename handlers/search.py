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
from aiogram.types import CallbackQuery, Message

from bot.callbacks.common import MenuCB
from bot.callbacks.search import PREFIX, SearchCB
from bot.chat_language import group_language
from bot.context import AppContext
from bot.i18n import t
from bot.routes import Routes
from bot.search_screens import answer_search, render, run_search
from bot.telegram_utils import edit_or_answer, is_private
from bot.views import search as views
from store import search

routes = Routes("search")

PROMPT_TTL = 600


class SearchFlow(StatesGroup):
    words = State()


async def _ask_for_words(state: FSMContext) -> None:
    await state.set_state(SearchFlow.words)
    await state.update_data(search_asked_at=time.time())


@routes.message(Command("search"))
async def search_command(
    message: Message, command: CommandObject, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    if command.args and command.args.strip():
        if not is_private(message):
            # Results in a group are a shared message whose product buttons open shared cards: drawn in the
            # group's language, as those cards are (outside tester: Chinese results, an English card, Back to
            # Chinese results in one message).
            lang = await group_language(ctx, message.chat.id)
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
    message = query.message if isinstance(query.message, Message) else None
    if message is not None and not is_private(message):
        lang = await group_language(ctx, message.chat.id)
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
