"""/cart: the user's cart in the private chat, edited in place by its buttons.

The cart is personal: /cart in a group gets, like the other personal commands (/checkout, /points, /orders),
one short reply in the sender's language whose button opens the cart in the private chat (a deep link, so it
also works for someone who never started the bot). A cart menu button tapped in a group sends it there directly.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks.cart import OLD_PREFIX, PREFIX, CartCB
from bot.callbacks.common import MenuCB
from bot.cart_screens import render_cart, send_cart_privately
from bot.context import AppContext
from bot.i18n import t
from bot.routes import Routes
from bot.views.cart import cart_screen
from bot.views.catalog import CART_LINK, cart_link
from bot.views.common import personal_in_group
from bot.views.errors import error_text
from store import cart
from store.errors import DomainError

log = logging.getLogger(__name__)
routes = Routes("cart")

STALE_CODES = ("stale_button", "catalog_product_unavailable", "cart_line_gone")


def _in_group(query: CallbackQuery) -> bool:
    return query.message is not None and query.message.chat.type != "private"


@routes.message(Command("cart"), F.chat.type == "private")
async def cart_command(message: Message, ctx: AppContext, lang: str) -> None:
    if message.from_user is None:
        return
    screen = cart_screen(lang, await cart.get_cart(ctx.db, message.from_user.id))
    await message.answer(screen.text, reply_markup=screen.markup)


@routes.message(Command("cart"))
async def cart_in_group(message: Message, ctx: AppContext, lang: str) -> None:
    """The cart is nobody else's business: one short reply in the group whose button opens it in private.
    (It used to be sent to the private chat with no word in the group, so the group saw /cart go unanswered.)"""
    markup = personal_in_group(lang, ctx.bot_username, CART_LINK, "private_only.cart_button")
    await message.reply(t(lang, "private_only.cart"), reply_markup=markup)


@routes.callback_query(MenuCB.filter(F.action == "cart"))
async def cart_button(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    if _in_group(query):
        if await send_cart_privately(ctx, query.from_user.id, lang):
            await query.answer(t(lang, "cart.sent_private"))
        else:
            await query.answer(t(lang, "cart.in_private"), url=cart_link(ctx.bot_username))
        return
    await query.answer()
    await render_cart(query, ctx, lang)


@routes.callback_query(CartCB.filter())
async def cart_action(query: CallbackQuery, callback_data: CartCB, ctx: AppContext, lang: str) -> None:
    data = callback_data
    if _in_group(query) or data.a not in ("inc", "dec", "rm", "clear", "show"):
        # Cart buttons only exist in the private chat: anything else is forged.
        await query.answer(t(lang, "errors.bad_button"), show_alert=True)
        return
    user_id = query.from_user.id
    max_per_line = ctx.settings.orders.max_quantity_per_line
    toast: str | None = None
    alert = False
    try:
        if data.a in ("inc", "dec"):
            await cart.change_quantity(
                ctx.db,
                user_id,
                data.p,
                1 if data.a == "inc" else -1,
                version=data.v,
                max_per_line=max_per_line,
                shown=data.q,
            )
        elif data.a == "rm":
            removed = await cart.remove_line(ctx.db, user_id, data.p)
            toast = t(lang, "cart.removed" if removed else "cart.stale")
        elif data.a == "clear":
            await cart.clear_cart(ctx.db, user_id)
            toast = t(lang, "cart.cleared")
    except DomainError as exc:
        # Refused: nothing changed. A stale line is explained and the cart redrawn as it is now; a repeated tap
        # (the line already moved from what that screen showed) is only told quietly.
        if exc.code == "cart_line_changed":
            toast = t(lang, "cart.already_changed", qty=exc.params["quantity"])
        else:
            toast = t(lang, "cart.stale") if exc.code in STALE_CODES else error_text(lang, exc)
            alert = True
    await query.answer(toast, show_alert=alert)
    await render_cart(query, ctx, lang)


@routes.callback_query(F.data.func(lambda value: isinstance(value, str) and value.split(":", 1)[0] == OLD_PREFIX))
async def old_cart_button(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    """A cart drawn before its buttons carried the quantity: redrawn as it is now, nothing changed."""
    if _in_group(query):
        await query.answer(t(lang, "errors.bad_button"), show_alert=True)
        return
    await query.answer(t(lang, "cart.stale"), show_alert=True)
    await render_cart(query, ctx, lang)


@routes.callback_query(F.data.func(lambda value: isinstance(value, str) and value.split(":", 1)[0] == PREFIX))
async def bad_cart_button(query: CallbackQuery, lang: str) -> None:
    await query.answer(t(lang, "errors.bad_button"), show_alert=True)


async def open_cart_link(message: Message, value: str, data: dict[str, Any]) -> None:
    """`t.me/<bot>?start=cart_open`: the cart, e.g. for someone who added items in a group before starting the bot."""
    ctx: AppContext = data["ctx"]
    lang: str = data["lang"]
    if message.from_user is None:
        return
    screen = cart_screen(lang, await cart.get_cart(ctx.db, message.from_user.id))
    await message.answer(screen.text, reply_markup=screen.markup)


def setup() -> Router:
    return routes.build()
