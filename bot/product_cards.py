"""The product card as a screen: read what it shows (one read transaction, before any Bot API call) and draw it
in place of the tapped message, or post it. Used by the catalog, and by a flash sale's Buy on a card whose sale
has ended or sold out (the card is redrawn as it is now).

In the private chat a card with a photo is a photo message; Telegram cannot turn a text message into a photo (or
back), so those transitions replace the message instead of editing it. In a group a card is text and always an
edit of the one shared catalog message.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, replace
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, FSInputFile, InputFile, Message

from bot import analytics, social
from bot.callbacks.catalog import ProductCB, search_origin
from bot.chat_language import group_language
from bot.context import AppContext
from bot.telegram_utils import edit_or_answer, is_not_modified
from bot.views import catalog as views
from bot.views.catalog import CardOptions
from store import catalog, flashsale, product_card
from store.catalog import ProductView
from store.product_card import CardFacts

log = logging.getLogger(__name__)


def in_group(query: CallbackQuery) -> bool:
    return query.message is not None and query.message.chat.type != "private"


async def card_language(ctx: AppContext, query: CallbackQuery, lang: str) -> str:
    """A shared card in a group is redrawn in the group's language whoever tapped it (the tapper's own
    language is for their toast); in the private chat it is the user's language."""
    if in_group(query) and query.message is not None:
        return await group_language(ctx, query.message.chat.id)
    return lang


def _thread_id(message: Message | None) -> int | None:
    return message.message_thread_id if message is not None and message.is_topic_message else None


# ---------------------------------------------------------------------------------------------- photos


def photo_input(product: ProductView, *, cached: bool = True) -> str | InputFile | None:
    """What to send as the card's photo: Telegram's cached file id, else the file (or URL) itself."""
    if cached and product.photo_file_id:
        return product.photo_file_id
    if product.photo and product.photo.startswith(("http://", "https://")):
        return product.photo
    path = catalog.resolve_photo(product.photo)
    return FSInputFile(path) if path is not None else None


def has_photo(product: ProductView) -> bool:
    return bool(product.photo_file_id) or photo_input(product, cached=False) is not None


async def send_card(
    ctx: AppContext,
    chat_id: int,
    lang: str,
    product: ProductView,
    options: CardOptions,
    flash: flashsale.LivePrice | None,
    *,
    thread_id: int | None = None,
) -> Message:
    """Post a product card as a new message: a photo with a caption when the product has a picture.

    The first upload's file id is cached on the product, so later cards resend it without uploading. A cached
    id Telegram no longer knows (another bot, a reset sandbox) is replaced by uploading the file again.
    """
    bot = ctx.bot
    analytics.viewed(ctx, product.id)
    with_photo = has_photo(product)
    screen = views.product_card(lang, product, replace(options, with_photo=with_photo), ctx.bot_username, flash)
    sources = [photo_input(product), photo_input(product, cached=False)] if with_photo else []
    tried: list[Any] = []
    for source in sources:
        if source is None or source in tried:
            continue
        tried.append(source)
        try:
            sent = await bot.send_photo(
                chat_id, source, caption=screen.text, reply_markup=screen.markup, message_thread_id=thread_id
            )
        except TelegramBadRequest as exc:
            log.warning("photo of %s could not be sent (%s)", product.sku, exc.message)
            continue
        if sent.photo and sent.photo[-1].file_id != product.photo_file_id:
            await catalog.save_photo_file_id(ctx.db, product.id, product.photo, sent.photo[-1].file_id)
        return sent
    if with_photo:  # no picture could be sent: the card without it
        screen = views.product_card(lang, product, replace(options, with_photo=False), ctx.bot_username, flash)
    return await bot.send_message(chat_id, screen.text, reply_markup=screen.markup, message_thread_id=thread_id)


@dataclass(frozen=True)
class CardRead:
    """What a card is drawn from, read in one go before any Bot API call (see `read_card`)."""

    lang: str
    product: ProductView
    options: CardOptions
    flash: flashsale.LivePrice | None
    same: bool  # the tapped message already shows this product (see `show_card`)


async def tapper_facts(ctx: AppContext, query: CallbackQuery, product_id: int, *, group: bool) -> CardFacts | None:
    """The card's facts for the shopper who tapped; a group card is everyone's, so it has no shopper's cart."""
    return await product_card.card_facts(ctx.db, product_id, None if group else query.from_user.id)


async def read_card(
    query: CallbackQuery,
    ctx: AppContext,
    lang: str,
    product: ProductView,
    options: CardOptions,
    *,
    same: bool,
    facts: CardFacts | None = None,
) -> CardRead:
    """The card's reads (language, the product's facts for the tapper, referral code, suggestions) as one read
    transaction; `facts` when the caller already read them (an opened card reads the product with them)."""
    message = query.message if isinstance(query.message, Message) else None
    if not same:
        analytics.viewed(ctx, product.id)
    where = message.chat.id if message is not None else None
    async with ctx.db.read_together():  # only reads; the Bot API calls come after the block
        lang = await card_language(ctx, query, lang)
        if facts is None:
            facts = await tapper_facts(ctx, query, product.id, group=options.group)
        options = await social.decorate_card(
            ctx, query.from_user.id, where, lang, product, options, facts, visit=not same
        )
    return CardRead(lang, product, options, facts.flash if facts is not None else None, same)


async def show_card(
    query: CallbackQuery,
    ctx: AppContext,
    lang: str,
    product: ProductView,
    options: CardOptions,
    *,
    same: bool,
    below: bool = False,
    facts: CardFacts | None = None,
) -> None:
    """Draw the card in place of the message the button belongs to. `same`: that message already shows this
    product (a quantity change, a refresh), so a photo card only needs its caption and buttons edited. `below`:
    that message must stay (delivered codes under a payment's confirmation), so the card is a new message.
    `facts`: the caller's own read of the card's facts, of which `product` is the product."""
    card = await read_card(query, ctx, lang, product, options, same=same, facts=facts)
    await draw_card(query, ctx, card, below=below)


async def draw_card(query: CallbackQuery, ctx: AppContext, card: CardRead, *, below: bool = False) -> None:
    """The Bot API half of `show_card`: edit the tapped message into the card, or post the card."""
    message = query.message if isinstance(query.message, Message) else None
    lang, product, options, flash, same = card.lang, card.product, card.options, card.flash, card.same
    if below and not options.group:
        await send_card(ctx, query.from_user.id, lang, product, options, flash)
        return
    if options.group or not has_photo(product):
        # In a group every step is an edit of the one catalog message: replacing it by a photo message would
        # post (and notify everyone) on each tap, so group cards are text.
        screen = views.product_card(lang, product, options, ctx.bot_username, flash)
        await edit_or_answer(query, screen.text, screen.markup)
        return
    if message is not None and message.photo and same:
        screen = views.product_card(lang, product, replace(options, with_photo=True), ctx.bot_username, flash)
        try:
            await message.edit_caption(caption=screen.text, reply_markup=screen.markup)
        except TelegramBadRequest as exc:
            if not is_not_modified(exc):
                raise
        return
    # Text cannot become a photo: post the photo card, then remove the message it replaces.
    chat_id = message.chat.id if message is not None else query.from_user.id
    await send_card(ctx, chat_id, lang, product, options, flash, thread_id=_thread_id(message))
    if message is not None:
        with contextlib.suppress(TelegramBadRequest):
            await message.delete()


def card_options(ctx: AppContext, data: ProductCB, *, group: bool, quantity: int = 1) -> CardOptions:
    return CardOptions(
        quantity=quantity,
        max_per_line=ctx.settings.orders.max_quantity_per_line,
        back_start=max(0, data.s),
        back_number=max(0, data.n),
        # "n" (opened below the message its button is on) draws a card whose own buttons work like "x"
        origin="x" if data.o == "n" else data.o if data.o in ("l", "c", "d", "x") or search_origin(data.o) else "l",
        group=group,
    )
