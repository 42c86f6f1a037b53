"""The weekly group digest's switch: a group admin turns the card off (or back on) with one tap on it."""

from __future__ import annotations

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import CallbackQuery, InaccessibleMessage

from bot import tap_guard
from bot.callbacks.social import DigestCB
from bot.chat_language import group_language
from bot.context import AppContext
from bot.i18n import t_plain
from bot.routes import Routes
from bot.telegram_utils import is_not_modified
from bot.views import digest as views
from store.social import digest

routes = Routes("digest")

GROUPS = ("group", "supergroup")
ADMIN_STATUSES = ("creator", "administrator")


@routes.callback_query(DigestCB.filter())
async def digest_switch(
    query: CallbackQuery, callback_data: DigestCB, ctx: AppContext, lang: str, fsm_storage: BaseStorage
) -> None:
    message = query.message
    if message is None or isinstance(message, InaccessibleMessage) or message.chat.type not in GROUPS:
        await query.answer(t_plain(lang, "digest.groups_only"), show_alert=True)
        return
    if await tap_guard.repeated(ctx, query, fsm_storage):
        return
    # Telegram's word, not the shop's roles: the group's own admins decide what the bot posts there.
    member = await ctx.bot.get_chat_member(message.chat.id, query.from_user.id)
    if member.status not in ADMIN_STATUSES:
        await query.answer(t_plain(lang, "digest.admins_only"), show_alert=True)
        return
    enabled = callback_data.a == "on"
    await digest.set_enabled(ctx.db, message.chat.id, enabled)
    # The toast is the tapper's; the card is the group's, so its button stays in the group's language.
    await query.answer(t_plain(lang, "digest.turned_on" if enabled else "digest.turned_off"))
    markup = views.with_switch(message.reply_markup, await group_language(ctx, message.chat.id), enabled=enabled)
    try:
        await message.edit_reply_markup(reply_markup=markup)
    except TelegramBadRequest as exc:
        if not is_not_modified(exc):
            raise


def setup() -> Router:
    return routes.build()
