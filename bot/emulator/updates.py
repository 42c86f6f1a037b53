"""Builders for Telegram JSON objects (field names as in the Bot API 10.x spec)."""

from __future__ import annotations

import time
from typing import Any

from bot.emulator.state import JSON, Chat, User

UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
# Telegram's default when allowed_updates is empty or never given
DEFAULT_EXCLUDED = {"chat_member", "message_reaction", "message_reaction_count"}


def now() -> int:
    return int(time.time())


def user_json(user: User) -> JSON:
    data: JSON = {"id": user.id, "is_bot": user.is_bot, "first_name": user.first_name}
    if user.last_name:
        data["last_name"] = user.last_name
    if user.username:
        data["username"] = user.username
    if user.lang and not user.is_bot:
        data["language_code"] = user.lang
    return data


def chat_json(chat: Chat, users: dict[int, User]) -> JSON:
    if chat.type == "private":
        user = users[chat.id]
        data: JSON = {"id": chat.id, "type": "private", "first_name": user.first_name}
        if user.last_name:
            data["last_name"] = user.last_name
        if user.username:
            data["username"] = user.username
        return data
    data = {"id": chat.id, "type": chat.type, "title": chat.title or ""}
    if chat.is_forum:
        data["is_forum"] = True
    return data


def chat_full_info(chat: Chat, users: dict[int, User], pinned: JSON | None) -> JSON:
    data = chat_json(chat, users)
    data.update(
        {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
    )
    if chat.is_group:
        data["permissions"] = {
            "can_send_messages": True,
            "can_send_photos": True,
            "can_send_documents": True,
            "can_send_other_messages": True,
            "can_invite_users": True,
            "can_pin_messages": False,
        }
    if pinned is not None:
        data["pinned_message"] = pinned
    return data


ADMIN_RIGHTS: JSON = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
    "can_manage_topics": True,
    "can_send_welcome_messages": False,
}


def member_json(user: User, status: str) -> JSON:
    data: JSON = {"status": status, "user": user_json(user)}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update(ADMIN_RIGHTS)
    elif status == "kicked":
        data["until_date"] = 0
    elif status == "restricted":
        data.update(
            {
                "is_member": True,
                "until_date": 0,
                **{
                    key: False
                    for key in (
                        "can_send_messages",
                        "can_send_audios",
                        "can_send_documents",
                        "can_send_photos",
                        "can_send_videos",
                        "can_send_video_notes",
                        "can_send_voice_notes",
                        "can_send_polls",
                        "can_send_other_messages",
                        "can_add_web_page_previews",
                        "can_react_to_messages",
                        "can_edit_tag",
                        "can_change_info",
                        "can_invite_users",
                        "can_pin_messages",
                        "can_manage_topics",
                    )
                },
            }
        )
    return data


def chat_member_updated(chat: JSON, actor: User, user: User, old: str, new: str) -> JSON:
    return {
        "chat": chat,
        "from": user_json(actor),
        "date": now(),
        "old_chat_member": member_json(user, old),
        "new_chat_member": member_json(user, new),
    }


def shallow_reply(message: JSON) -> JSON:
    """reply_to_message carries the replied message without its own reply chain, as Telegram sends it."""
    return {key: value for key, value in message.items() if key != "reply_to_message"}


def photo_sizes(
    file_id: str, unique_id: str, width: int, height: int, size: int, thumb_id: str, thumb_unique: str
) -> list[JSON]:
    sizes: list[JSON] = []
    if max(width, height) > 90:
        scale = 90 / max(width, height)
        sizes.append(
            {
                "file_id": thumb_id,
                "file_unique_id": thumb_unique,
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
                "file_size": size,
            }
        )
    sizes.append({"file_id": file_id, "file_unique_id": unique_id, "width": width, "height": height, "file_size": size})
    return sizes


def update_kind(update: JSON) -> str:
    return next(key for key in update if key != "update_id")


def strip_none(data: dict[str, Any]) -> JSON:
    return {key: value for key, value in data.items() if value is not None}
