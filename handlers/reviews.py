"""Reviews in the chat: a product's reviews from its card (paged, edited in place), the star picker the
after-delivery message opens, and the rating itself."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.access import has_role, require_role
from bot.admin_menu import AdminSection
from bot.callbacks.admin import AdminMenuCB
from bot.callbacks.social import ReviewCB
from bot.context import AppContext
from bot.i18n import has, t, t_plain
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from bot.views import reviews as views
from dialogues.review_words import ReviewWords
from store import catalog
from store.catalog import ProductView
from store.errors import DomainError
from store.social import reviews

routes = Routes("reviews")

ADMIN_SECTION = AdminSection("reviews", "admin.section.reviews", "admin", order=60)


def _error(lang: str, exc: DomainError) -> str:
    key = f"errors.{exc.code}"
    return t(lang, key, **exc.params) if has(key, lang) else t(lang, "errors.generic")


@routes.callback_query(ReviewCB.filter(F.a == "list"))
async def product_reviews(query: CallbackQuery, callback_data: ReviewCB, ctx: AppContext, lang: str) -> None:
    product = await catalog.get_product(ctx.db, callback_data.p)
    if product is None or not product.active:
        await query.answer(t(lang, "catalog.unavailable"), show_alert=True)
        return
    await query.answer()
    await _show_reviews(query, ctx, lang, product, max(0, callback_data.n))


async def _show_reviews(query: CallbackQuery, ctx: AppContext, lang: str, product: ProductView, number: int) -> None:
    page = await reviews.page(ctx.db, product.id, number)
    rating = (await reviews.ratings(ctx.db, [product.id])).get(product.id)
    own = await reviews.own_review(ctx.db, query.from_user.id, product.id)
    screen = views.reviews_page(lang, product, page, rating, own)
    await edit_or_answer(query, screen.text, screen.markup)


@routes.callback_query(ReviewCB.filter(F.a == "del"))
async def delete_own(query: CallbackQuery, callback_data: ReviewCB, ctx: AppContext, lang: str) -> None:
    """Only the author's own review goes (the store checks the author, not the button)."""
    removed = await reviews.remove(ctx.db, query.from_user.id, callback_data.r)
    await query.answer(t_plain(lang, "reviews.deleted") if removed else t_plain(lang, "errors.review_not_found"))
    product = await catalog.get_product(ctx.db, callback_data.p)
    if product is not None and product.active:
        await _show_reviews(query, ctx, lang, product, 0)


@routes.callback_query(ReviewCB.filter(F.a == "ask"))
async def pick_stars(query: CallbackQuery, callback_data: ReviewCB, ctx: AppContext, lang: str) -> None:
    try:
        line = await reviews.line_for(ctx.db, query.from_user.id, callback_data.l)
    except DomainError as exc:
        await query.answer(_error(lang, exc), show_alert=True)
        return
    await query.answer()
    screen = views.star_picker(lang, line.id, line.title(lang))
    await edit_or_answer(query, screen.text, screen.markup)


@routes.callback_query(ReviewCB.filter(F.a == "rate"))
async def rate(query: CallbackQuery, callback_data: ReviewCB, ctx: AppContext, lang: str) -> None:
    try:
        done = await reviews.submit(ctx.db, query.from_user.id, callback_data.l, callback_data.s)
    except DomainError as exc:
        await query.answer(_error(lang, exc), show_alert=True)
        return
    if done.status == reviews.HELD:
        text = t(lang, "reviews.held")
    elif done.points:
        text = t(lang, "reviews.thanks_points", points=done.points)
    elif not done.created:
        text = t(lang, "reviews.updated")
    else:
        text = t(lang, "reviews.thanks")
    await query.answer(t_plain(lang, "reviews.thanks"))
    screen = views.rated(lang, text, callback_data.l, callback_data.s)
    await edit_or_answer(query, screen.text, screen.markup)


@routes.callback_query(ReviewCB.filter(F.a == "words"))
async def ask_words(
    query: CallbackQuery, callback_data: ReviewCB, ctx: AppContext, lang: str, state: FSMContext
) -> None:
    """The bot waits for the buyer's words or photo; the stars are already saved, so leaving is harmless."""
    try:
        line = await reviews.line_for(ctx.db, query.from_user.id, callback_data.l)
    except DomainError as exc:
        await query.answer(_error(lang, exc), show_alert=True)
        return
    await query.answer()
    await state.set_state(ReviewWords.waiting)
    await state.set_data({"line": line.id, "stars": callback_data.s})
    screen = views.words_prompt(lang, line.title(lang), line.id)
    await edit_or_answer(query, screen.text, screen.markup)


@routes.callback_query(ReviewCB.filter(F.a == "skip"))
async def skip_words(query: CallbackQuery, lang: str, state: FSMContext) -> None:
    if await state.get_state() == ReviewWords.waiting.state:
        await state.clear()
    await query.answer()
    await edit_or_answer(query, t(lang, "reviews.words_skipped"))


@routes.message(ReviewWords.waiting, F.chat.type == "private", F.text.startswith("/"))
async def command_leaves_words(message: Message, state: FSMContext) -> None:
    """A command while the bot waits for words: the shopper moved on. Forget the wait and let the command
    run (the handlers after this router get it)."""
    await state.clear()
    raise SkipHandler


@routes.message(ReviewWords.waiting, F.chat.type == "private", F.text | F.photo)
async def words_given(message: Message, ctx: AppContext, lang: str, state: FSMContext) -> None:
    data = await state.get_data()
    photo = message.photo[-1].file_id if message.photo else None
    try:
        done = await reviews.describe(
            ctx.db,
            message.from_user.id if message.from_user else 0,
            int(data["line"]),
            message.text or message.caption,
            photo,
        )
    except DomainError as exc:
        await state.clear()
        await message.answer(_error(lang, exc))
        return
    await state.clear()
    if done.status == reviews.PUBLISHED:
        await message.answer(t(lang, "reviews.words_saved", stars=views.stars(int(data["stars"]))))
    else:
        await message.answer(t(lang, "reviews.held"))


@routes.message(ReviewWords.waiting, F.chat.type == "private")
async def words_only(message: Message, lang: str) -> None:
    await message.answer(t(lang, "reviews.words_only"))


@routes.callback_query(ReviewCB.filter(F.a == "photo"))
async def show_photo(query: CallbackQuery, callback_data: ReviewCB, ctx: AppContext, lang: str) -> None:
    """A review's photo, sent beside the list: to anyone for a published review, to staff for a held one."""
    staff = await has_role(ctx, query.from_user.id, "admin")
    try:
        review = await reviews.visible_photo(ctx.db, callback_data.r, staff=staff)
    except DomainError as exc:
        await query.answer(_error(lang, exc), show_alert=True)
        return
    await query.answer()
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    assert review.photo_file_id is not None  # visible_photo only returns reviews with one
    await ctx.bot.send_photo(chat_id, review.photo_file_id, caption=views.photo_caption(review))


async def _moderation_screen(ctx: AppContext, lang: str) -> views.Screen:
    first = await reviews.held(ctx.db, 1)
    return views.moderation(lang, first[0] if first else None, await reviews.held_count(ctx.db))


@routes.callback_query(AdminMenuCB.filter(F.section == "reviews"))
async def moderation_queue(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")
    await query.answer()
    screen = await _moderation_screen(ctx, lang)
    await edit_or_answer(query, screen.text, screen.markup)


@routes.callback_query(ReviewCB.filter(F.a.in_({"pub", "hide"})))
async def moderate(query: CallbackQuery, callback_data: ReviewCB, ctx: AppContext, lang: str) -> None:
    await require_role(ctx, query.from_user.id, "admin")  # callback data is never trusted
    status = reviews.PUBLISHED if callback_data.a == "pub" else reviews.HIDDEN
    await reviews.moderate(ctx.db, callback_data.r, status)
    await query.answer(t_plain(lang, "moderation.published" if status == reviews.PUBLISHED else "moderation.hidden"))
    screen = await _moderation_screen(ctx, lang)
    await edit_or_answer(query, screen.text, screen.markup)


@routes.callback_query(ReviewCB.filter())
async def bad_review_button(query: CallbackQuery, lang: str) -> None:
    await query.answer(t(lang, "errors.bad_button"), show_alert=True)


def setup() -> Router:
    return routes.build()
