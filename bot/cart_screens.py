"""The cart screen where a shopper looks at it: edited in place in the private chat, or sent there from a group
(catalog cards and the cart feature both use these)."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import CallbackQuery

from bot.context import AppContext
from bot.telegram_utils import edit_or_answer
from bot.views.cart import cart_screen
from store import cart, reachability, users

log = logging.getLogger(__name__)


async def send_cart_privately(ctx: AppContext, user_id: int, lang: str, *, notice: str | None = None) -> bool:
    """Send the user's cart to their private chat; False when the bot may not write to them (they never
    started it, or blocked it)."""
    if not await reachability.may_write_privately(ctx.db, user_id):
        return False
    screen = cart_screen(lang, await cart.get_cart(ctx.db, user_id), notice=notice)
    try:
        await ctx.bot.send_message(user_id, screen.text, reply_markup=screen.markup)
    except TelegramForbiddenError as exc:
        if "blocked" in exc.message:
            await users.mark_unreachable(ctx.db, user_id)
        return False
    except TelegramBadRequest as exc:  # "chat not found": the user has no chat with the bot
        log.info("cannot send the cart to %s: %s", user_id, exc.message)
        return False
    return True


async def render_cart(query: CallbackQuery, ctx: AppContext, lang: str) -> None:
    screen = cart_screen(lang, await cart.get_cart(ctx.db, query.from_user.id))
    await edit_or_answer(query, screen.text, screen.markup)
