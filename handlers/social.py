"""Social shopping in the chats: "For you" (private menu), the wishlist heart on cards and /wishlist."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot import social
from bot.callbacks.catalog import ProductCB
from bot.callbacks.common import MenuCB
from bot.callbacks.social import ForYouCB, WishCB
from bot.context import AppContext
from bot.deeplinks import start_link
from bot.i18n import has, t, t_plain
from bot.product_cards import card_options, show_card, tapper_facts
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer, is_not_modified
from bot.views import social as views
from bot.views.catalog import Screen
from bot.views.common import personal_in_group
from store import reachability
from store.errors import DomainError
from store.social import wishlist

log = logging.getLogger(__name__)
routes = Routes("social")
FOR_YOU = 5


def _private(message: Message | None) -> bool:
    return message is not None and message.chat.type == "private"


async def for_you_screen(ctx: AppContext, user_id: int, lang: str) -> Screen:
    products = await social.recommender(ctx).for_user(user_id, FOR_YOU)
    return views.for_you(lang, products)


@routes.message(Command("foryou"), F.chat.type == "private")
async def for_you_command(message: Message, ctx: AppContext, lang: str) -> None:
    assert message.from_user is not None
    screen = await for_you_screen(ctx, message.from_user.id, lang)
    await message.answer(screen.text, reply_markup=screen.markup)


@routes.message(Command("foryou"))
async def for_you_in_group(message: Message, ctx: AppContext, lang: str) -> None:
    """Suggestions are personal: one short reply in the group, with a button that opens them in private."""
    markup = personal_in_group(lang, ctx.bot_username, views.FOR_YOU_LINK, "private_only.foryou_button")
    await message.reply(t(lang, "private_only.foryou"), reply_markup=markup)


@routes.callback_query(MenuCB.filter(F.action == "foryou"))
@routes.callback_query(ForYouCB.filter())
async def for_you_button(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    await query.answer()
    screen = await for_you_screen(ctx, query.from_user.id, lang)
    await edit_or_answer(query, screen.text, screen.markup)


# ---------------------------------------------------------------------------------------------- wishlist


async def wishlist_screen(ctx: AppContext, user_id: int, lang: str, number: int = 0) -> Screen:
    return views.wishlist(lang, await wishlist.page(ctx.db, user_id, number))


@routes.message(Command("wishlist"), F.chat.type == "private")
async def wishlist_command(message: Message, ctx: AppContext, lang: str) -> None:
    assert message.from_user is not None
    screen = await wishlist_screen(ctx, message.from_user.id, lang)
    await message.answer(screen.text, reply_markup=screen.markup)


@routes.message(Command("wishlist"))
async def wishlist_in_group(message: Message, ctx: AppContext, lang: str) -> None:
    markup = personal_in_group(lang, ctx.bot_username, views.WISHLIST_LINK, "social.wishlist_button")
    await message.reply(t(lang, "social.wishlist_in_private"), reply_markup=markup)


async def wishlist_link(message: Message, value: str, data: dict[str, Any]) -> None:
    """`/start wl_list` (or `wl_foryou`) from a group reply: the wishlist (or "For you"), in the private chat."""
    if value == views.FOR_YOU_LINK[1]:
        await for_you_command(message, data["ctx"], data["lang"])
        return
    await wishlist_command(message, data["ctx"], data["lang"])


@routes.callback_query(MenuCB.filter(F.action == "wishlist"))
async def wishlist_menu(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    await query.answer()
    screen = await wishlist_screen(ctx, query.from_user.id, lang)
    await edit_or_answer(query, screen.text, screen.markup)


@routes.callback_query(WishCB.filter(F.a == "list"))
async def wishlist_page(query: CallbackQuery, callback_data: WishCB, ctx: AppContext, lang: str) -> None:
    await query.answer()
    screen = await wishlist_screen(ctx, query.from_user.id, lang, max(0, callback_data.p))
    await edit_or_answer(query, screen.text, screen.markup)


@routes.callback_query(WishCB.filter(F.a == "rm"))
async def wishlist_remove(query: CallbackQuery, callback_data: WishCB, ctx: AppContext, lang: str) -> None:
    removed = await wishlist.remove(ctx.db, query.from_user.id, callback_data.p)
    await query.answer(t_plain(lang, "social.unwished") if removed else None)
    screen = await wishlist_screen(ctx, query.from_user.id, lang, max(0, callback_data.n))
    await edit_or_answer(query, screen.text, screen.markup)


@routes.callback_query(WishCB.filter(F.a.in_({"add", "del"})))
async def heart(query: CallbackQuery, callback_data: WishCB, ctx: AppContext, lang: str) -> None:
    """The heart on a card. In the private chat it toggles and only the heart is redrawn; on a group's shared
    card it adds to the tapper's own wishlist and the group sees nothing change."""
    user_id, product_id = query.from_user.id, callback_data.p
    try:
        if callback_data.a == "add":
            changed = await wishlist.add(ctx.db, user_id, product_id)
            toast = t_plain(lang, "social.wished_toast" if changed else "social.already_wished")
            wished = True
        else:
            changed = await wishlist.remove(ctx.db, user_id, product_id)
            toast, wished = t_plain(lang, "social.unwished"), False
    except DomainError as exc:
        key = f"errors.{exc.code}"
        await query.answer(t(lang, key) if has(key, lang) else t(lang, "errors.generic"), show_alert=True)
        return
    message = query.message if isinstance(query.message, Message) else None
    if not _private(message) or message is None:
        if wished and not await reachability.may_write_privately(ctx.db, user_id):
            # Never started the bot (or blocked it): like Add to cart, the toast opens the bot on the wishlist.
            url = start_link(ctx.bot_username, *views.WISHLIST_LINK)
            key = "social.wished_group_start" if changed else "social.already_wished_group_start"
            await query.answer(t_plain(lang, key), url=url)
            return
        if wished:  # added now or already there: the toast says which, as it does in the private chat
            toast = t_plain(lang, "social.wished_group" if changed else "social.already_wished_group")
        await query.answer(toast)
        return
    await query.answer(toast)
    if message.reply_markup is None:
        return
    if await _redraw_card(query, ctx, lang, message.reply_markup, product_id):
        return
    markup = views.with_heart(message.reply_markup, lang, product_id, wished=wished)
    if markup == message.reply_markup:
        return
    try:
        await message.edit_reply_markup(reply_markup=markup)
    except TelegramBadRequest as exc:
        if not is_not_modified(exc):  # the card is gone or too old to edit: the toast said it all
            log.info("heart not redrawn on %s: %s", message.message_id, exc.message)


async def _redraw_card(
    query: CallbackQuery, ctx: AppContext, lang: str, markup: InlineKeyboardMarkup, product_id: int
) -> bool:
    """A product card's heart redraws the whole card, as its other buttons do: the cart count and stock it shows
    may have moved since it was drawn (outside tester: "In your cart: 1" after the cart was cleared). False
    when the message is not a product card (a wishlist or suggestion list): only its heart is redrawn."""
    shown = _card_data(markup, product_id)
    if shown is None:
        return False
    facts = await tapper_facts(ctx, query, product_id, group=False)
    if facts is None or not facts.product.active:
        return False
    options = card_options(ctx, shown, group=False, quantity=max(1, shown.q))
    await show_card(query, ctx, lang, facts.product, options, same=True, facts=facts)
    return True


def _card_data(markup: InlineKeyboardMarkup, product_id: int) -> ProductCB | None:
    """The card's own buttons' data (where it was opened from, the quantity picked), read from its Add button."""
    for row in markup.inline_keyboard:
        for button in row:
            data = button.callback_data or ""
            if data.startswith(ProductCB.__prefix__ + ":"):
                with contextlib.suppress(ValueError, TypeError):
                    card = ProductCB.unpack(data)
                    if card.p == product_id and card.a == "add":
                        return card
    return None


@routes.callback_query(WishCB.filter())
async def bad_wish_button(query: CallbackQuery, lang: str) -> None:
    await query.answer(t(lang, "errors.bad_button"), show_alert=True)


def setup() -> Router:
    return routes.build()
