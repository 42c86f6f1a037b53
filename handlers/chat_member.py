"""The bot learns which groups it is in from my_chat_member updates, and follows group -> supergroup moves."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.types import ChatMemberUpdated, Message

from bot.context import AppContext
from bot.i18n import t
from store import users

router = Router(name="chat_member")


@router.my_chat_member()
async def on_bot_membership(event: ChatMemberUpdated, ctx: AppContext) -> None:
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
        await event.bot.send_message(chat.id, t(ctx.settings.shop.default_language, "start.group_hello"))  # type: ignore[union-attr]


@router.message(F.migrate_to_chat_id)
async def on_migrated(message: Message, ctx: AppContext) -> None:
    if message.migrate_to_chat_id is not None:
        await users.migrate_chat(ctx.db, message.chat.id, message.migrate_to_chat_id)
