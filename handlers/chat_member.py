"""The bot learns which groups it is in from my_chat_member updates, and follows group -> supergroup moves."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.types import ChatMemberUpdated, Message

from bot.chat_language import group_language, set_group_language
from bot.context import AppContext
from bot.i18n import t
from bot.routes import Routes
from store import users

routes = Routes("chat_member")


@routes.my_chat_member()
async def on_bot_membership(event: ChatMemberUpdated, ctx: AppContext, lang: str) -> None:
    chat = event.chat
    if chat.type == "private":
        if event.new_chat_member.status == "kicked":
            await users.mark_unreachable(ctx.db, event.from_user.id)
        # Other features react to a shopper blocking the bot too (support closes their ticket).
        raise SkipHandler
    member = event.new_chat_member
    can_pin = bool(getattr(member, "can_pin_messages", False)) or member.status == "creator"
    await users.record_chat(ctx.db, chat.id, chat.type, chat.title or "", member.status, can_pin, bool(chat.is_forum))
    old_status = event.old_chat_member.status
    if member.status in ("member", "administrator") and old_status in ("left", "kicked"):
        await _first_language(event, ctx, lang)
        if chat.id == ctx.settings.support.chat_id:
            return  # the agents' room: the shop's greeting ("Send /catalog to browse") is for shoppers' groups
        await event.bot.send_message(chat.id, t(await group_language(ctx, chat.id), "start.group_hello"))  # type: ignore[union-attr]


async def _first_language(event: ChatMemberUpdated, ctx: AppContext, lang: str) -> None:
    """A group's language starts as that of whoever added the bot (an admin can change it with /language).
    `lang` is the adder's own language (their /language choice, else Telegram's). The support forum is the
    agents' room and keeps the shop's default."""
    if event.chat.id == ctx.settings.support.chat_id or event.from_user.is_bot:
        return
    await set_group_language(ctx, event.chat.id, lang, only_if_unset=True)


@routes.message(F.migrate_to_chat_id)
async def on_migrated(message: Message, ctx: AppContext) -> None:
    if message.migrate_to_chat_id is not None:
        await users.migrate_chat(ctx.db, message.chat.id, message.migrate_to_chat_id)


def setup() -> Router:
    return routes.build()
