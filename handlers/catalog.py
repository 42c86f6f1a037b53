"""/catalog: categories -> a page of products -> the product card, all in one message edited in place.

In the private chat a card with a photo is a photo message; Telegram cannot turn a text message into a photo (or
back), so those transitions replace the message instead of editing it. In a group the catalog stays one shared
message that is only ever edited (text cards), and the personal part (the cart) continues in the private chat.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import CallbackQuery, Message

from bot import analytics, social, tap_guard
from bot.callbacks.catalog import PREFIXES, CategoryCB, ProductCB
from bot.callbacks.common import MenuCB
from bot.cart_screens import render_cart, send_cart_privately
from bot.chat_language import group_language
from bot.context import AppContext
from bot.i18n import t, t_plain
from bot.product_cards import (
    CardRead,
    card_language,
    card_options,
    draw_card,
    in_group,
    read_card,
    send_card,
    show_card,
    tapper_facts,
)
from bot.routes import Routes
from bot.telegram_utils import edit_or_answer
from bot.views import catalog as views
from bot.views.catalog import CardOptions, Screen
from bot.views.errors import error_text
from store import cart, catalog, product_card
from store.catalog import ProductView
from store.errors import DomainError, NotFound
from store.product_card import CardFacts

log = logging.getLogger(__name__)
routes = Routes("catalog")

STALE_CODES = ("stale_button", "catalog_product_unavailable")
# Refused for the stock left (checked live: a stock change does not make a card stale): the card's "N left" is
# out of date, so it is redrawn as it is now after the reason.
STOCK_CODES = ("cart_sold_out", "cart_no_more_stock", "cart_over_stock")
TOAST_TITLE_MAX = 30


# ---------------------------------------------------------------------------------------------- categories and pages


async def categories_screen(ctx: AppContext, lang: str, *, group: bool) -> Screen:
    items = await catalog.list_categories(ctx.db)
    return views.categories(lang, items, group=group, bot_username=ctx.bot_username)


@routes.message(Command("catalog"))
async def catalog_command(message: Message, ctx: AppContext, lang: str) -> None:
    group = message.chat.type != "private"
    if group:
        lang = await group_language(ctx, message.chat.id)
    screen = await categories_screen(ctx, lang, group=group)
    if group:
        screen = await social.group_catalog(ctx, message.chat.id, lang, screen)
    await message.answer(screen.text, reply_markup=screen.markup)


@routes.callback_query(MenuCB.filter(F.action == "catalog"))
async def catalog_button(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    await query.answer()
    screen = await categories_screen(ctx, await card_language(ctx, query, lang), group=in_group(query))
    await edit_or_answer(query, screen.text, screen.markup)


async def show_page(
    query: CallbackQuery,
    ctx: AppContext,
    lang: str,
    category_id: int,
    *,
    start: int = 0,
    number: int = 0,
    backward: bool = False,
    toast: str | None = None,
) -> None:
    screen_lang = await card_language(ctx, query, lang)
    try:
        # The page quotes what each card charges: a live flash sale's price (the tester saw ¥9.90 listed while the
        # card and search said ⚡¥4.90).
        priced = await product_card.priced_page(
            ctx.db, category_id, start=start, backward=backward, number=number, size=ctx.settings.catalog.page_size
        )
    except NotFound as exc:
        await query.answer(error_text(lang, exc))
        screen = await categories_screen(ctx, screen_lang, group=in_group(query))
    else:
        await query.answer(toast)
        screen = views.product_list(screen_lang, priced.page, priced.flash)
    await edit_or_answer(query, screen.text, screen.markup)


@routes.callback_query(CategoryCB.filter())
async def category_page(query: CallbackQuery, callback_data: CategoryCB, ctx: AppContext, lang: str) -> None:
    await show_page(
        query,
        ctx,
        lang,
        callback_data.c,
        start=max(0, callback_data.s),
        number=max(0, callback_data.n),
        backward=callback_data.b,
    )


# ---------------------------------------------------------------------------------------------- product card


@routes.callback_query(ProductCB.filter())
async def product_action(
    query: CallbackQuery, callback_data: ProductCB, ctx: AppContext, lang: str, fsm_storage: BaseStorage
) -> None:
    data = callback_data
    group = in_group(query)
    if data.a not in ("open", "inc", "dec", "qty", "add"):
        await query.answer(t(lang, "errors.bad_button"), show_alert=True)
        return
    opened: CardRead | None = None
    if data.a == "open":  # the product and the card's facts in one read
        async with ctx.db.read_together():
            facts = await tapper_facts(ctx, query, data.p, group=group)
            if facts is not None and facts.product.active:
                options = card_options(ctx, data, group=group)
                opened = await read_card(query, ctx, lang, facts.product, options, same=False, facts=facts)
    else:  # read with the card's facts, so that a redraw does not read the product again
        facts = await tapper_facts(ctx, query, data.p, group=group)
    if facts is None or not facts.product.active:
        await _gone(query, ctx, lang, facts.product if facts is not None else None, data)
        return
    product = facts.product
    if opened is not None:
        await query.answer()
        await draw_card(query, ctx, opened, below=data.o == "n")
        return
    if data.v != product.version:
        # The product changed since this card was drawn (price, title, ...; not a mere stock change, which the add
        # checks live): show it as it is now.
        await query.answer(t(lang, "catalog.stale"), show_alert=True)
        await show_card(query, ctx, lang, product, card_options(ctx, data, group=group), same=True, facts=facts)
        return
    if data.a in ("add", "inc", "dec") and await tap_guard.repeated(ctx, query, fsm_storage):
        return  # a double-click is one click: it adds once, it moves the picker by one
    if data.a == "add":
        if group:
            await _add_from_group(query, ctx, lang, product, data)
        else:
            await _add(query, ctx, lang, product, data)
        return
    await _pick_quantity(query, ctx, lang, facts, data, group=group)


async def _gone(query: CallbackQuery, ctx: AppContext, lang: str, product: ProductView | None, data: ProductCB) -> None:
    """The product was hidden or deleted: say so and show where the card came from."""
    toast = t(lang, "catalog.unavailable")
    if product is not None and data.o != "c":
        await show_page(query, ctx, lang, product.category_id, start=max(0, data.s), number=max(0, data.n), toast=toast)
        return
    await query.answer(toast, show_alert=True)
    if data.o == "c" and not in_group(query):
        await render_cart(query, ctx, lang)
        return
    screen = await categories_screen(ctx, await card_language(ctx, query, lang), group=in_group(query))
    await edit_or_answer(query, screen.text, screen.markup)


async def _pick_quantity(
    query: CallbackQuery, ctx: AppContext, lang: str, facts: CardFacts, data: ProductCB, *, group: bool
) -> None:
    product = facts.product
    limit = views.quantity_limit(product, ctx.settings.orders.max_quantity_per_line)
    if product.sold_out:
        await query.answer(t(lang, "catalog.sold_out_toast"))
        await show_card(query, ctx, lang, product, card_options(ctx, data, group=group), same=True, facts=facts)
        return
    if group or data.a == "qty":
        await query.answer(t(lang, "catalog.qty_info", qty=max(1, min(data.q, limit)), max=limit))
        return
    wanted = data.q + (1 if data.a == "inc" else -1)
    if wanted < 1:
        await query.answer(t(lang, "catalog.qty_min"))
        return
    if wanted > limit:
        await query.answer(t(lang, "catalog.qty_max", max=limit))
        if data.q > limit:  # the stock shrank under the picker: bring it back within bounds
            options = card_options(ctx, data, group=False, quantity=limit)
            await show_card(query, ctx, lang, product, options, same=True, facts=facts)
        return
    await query.answer()
    options = card_options(ctx, data, group=False, quantity=wanted)
    await show_card(query, ctx, lang, product, options, same=True, facts=facts)


async def _add(query: CallbackQuery, ctx: AppContext, lang: str, product: ProductView, data: ProductCB) -> None:
    quantity = max(1, data.q)
    try:
        change = await cart.add_to_cart(
            ctx.db,
            query.from_user.id,
            product.id,
            quantity,
            version=data.v,
            max_per_line=ctx.settings.orders.max_quantity_per_line,
            expected_in_cart=data.c - 1 if data.c > 0 else None,
        )
    except DomainError as exc:
        await _refused(query, ctx, lang, exc, data)
        return
    analytics.added(ctx, product.id)
    title = views.clip(change.product.title(lang), TOAST_TITLE_MAX)
    await query.answer(t_plain(lang, "catalog.added", qty=quantity, title=title, in_cart=change.quantity))
    # Redraw with the stock as it is now and the picker back at 1.
    await show_card(query, ctx, lang, change.product, card_options(ctx, data, group=False), same=True)


async def _add_from_group(
    query: CallbackQuery, ctx: AppContext, lang: str, product: ProductView, data: ProductCB
) -> None:
    """One item into the tapper's cart; the group only sees a toast, the cart continues in the private chat
    (or, for someone who never started the bot, after they open it through the deep link)."""
    try:
        change = await cart.add_to_cart(
            ctx.db,
            query.from_user.id,
            product.id,
            1,
            version=data.v,
            max_per_line=ctx.settings.orders.max_quantity_per_line,
        )
    except DomainError as exc:
        await _refused(query, ctx, lang, exc, data)
        return
    title = views.clip(change.product.title(lang), TOAST_TITLE_MAX)
    notice = t(lang, "catalog.added_from_group", title=title)
    if await send_cart_privately(ctx, query.from_user.id, lang, notice=notice):
        await query.answer(t_plain(lang, "catalog.added_group", title=title))
    else:
        await query.answer(
            t_plain(lang, "catalog.added_group_start", title=title), url=views.cart_link(ctx.bot_username)
        )


async def _refused(query: CallbackQuery, ctx: AppContext, lang: str, exc: DomainError, data: ProductCB) -> None:
    """A refused add: the reason as a toast; when the product moved on, the card as it is now."""
    if exc.code == cart.ALREADY_ADDED:
        # A tap on an Add button from an older drawing of the card (it was redrawn after that add): the units
        # are in the cart already. Say so and redraw, so the buttons the shopper sees are the current ones.
        current = await tapper_facts(ctx, query, data.p, group=False)
        await query.answer(t_plain(lang, "catalog.already_added", in_cart=exc.params.get("in_cart", 0)))
        if current is not None:
            options = card_options(ctx, data, group=False)
            await show_card(query, ctx, lang, current.product, options, same=True, facts=current)
        return
    group = in_group(query)
    if exc.code not in STALE_CODES:
        await query.answer(error_text(lang, exc), show_alert=True)
        if exc.code in STOCK_CODES:
            stocked = await tapper_facts(ctx, query, data.p, group=group)
            if stocked is not None and stocked.product.active:
                options = card_options(ctx, data, group=group)
                await show_card(query, ctx, lang, stocked.product, options, same=True, facts=stocked)
        return
    facts = await tapper_facts(ctx, query, data.p, group=group)
    product = facts.product if facts is not None else None
    if product is None or not product.active:
        await _gone(query, ctx, lang, product, data)
        return
    await query.answer(t(lang, "catalog.stale"), show_alert=True)
    await show_card(query, ctx, lang, product, card_options(ctx, data, group=group), same=True, facts=facts)


@routes.callback_query(F.data.func(lambda value: isinstance(value, str) and value.split(":", 1)[0] in PREFIXES))
async def bad_button(query: CallbackQuery, lang: str) -> None:
    """Catalog callback data that does not parse (forged, or from an incompatible older version)."""
    await query.answer(t(lang, "errors.bad_button"), show_alert=True)


# ---------------------------------------------------------------------------------------------- deep link


async def open_product_link(message: Message, value: str, data: dict[str, Any]) -> None:
    """`t.me/<bot>?start=p_<sku>`: the product's card in the private chat. A product that was hidden is "no longer
    available"; a SKU no product ever had (products are hidden, never deleted) or an invalid one is a link that is
    not valid. Either way the categories are offered instead."""
    ctx: AppContext = data["ctx"]
    lang: str = data["lang"]
    product = await catalog.get_product_by_sku(ctx.db, value) if catalog.valid_sku(value) else None
    if product is None or not product.active:
        items = await catalog.list_categories(ctx.db)
        gone = views.not_found if product is None else views.unavailable
        screen = gone(lang, items, group=False, bot_username=ctx.bot_username)
        await message.answer(screen.text, reply_markup=screen.markup)
        return
    options = CardOptions(max_per_line=ctx.settings.orders.max_quantity_per_line, origin="d")
    user_id = message.from_user.id if message.from_user is not None else None
    facts = await product_card.card_facts(ctx.db, product.id, user_id)
    if user_id is not None:
        options = await social.decorate_card(ctx, user_id, None, lang, product, options, facts)
    await send_card(ctx, message.chat.id, lang, product, options, facts.flash if facts is not None else None)


def setup() -> Router:
    return routes.build()
