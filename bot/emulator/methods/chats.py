"""Chat information, membership, forum topics and the menu button."""

from __future__ import annotations

import secrets
from typing import Any

from bot.emulator.engine import Emulator
from bot.emulator.errors import bad_request
from bot.emulator.lengths import clean_name
from bot.emulator.methods.registry import method
from bot.emulator.params import Params, chat_id_arg
from bot.emulator.state import JSON, PRESENT_STATUSES, Chat, Topic, User
from bot.emulator.updates import chat_full_info, member_json, user_json

NAME_LIMIT = 128  # code points of a chat title or forum topic name


def _group(emu: Emulator, p: Params) -> Chat:
    chat = emu.resolve_chat(chat_id_arg(p))
    if chat.is_group:
        emu.check_bot_access(chat)
    return chat


def _member_user(emu: Emulator, p: Params) -> User:
    user_id = p.int("user_id")
    if user_id is None:
        raise bad_request("invalid user_id specified")
    user = emu.bot if user_id == emu.bot.id else emu.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    return user


@method("getChat")
async def get_chat(emu: Emulator, p: Params) -> JSON:
    chat = _group(emu, p)
    pinned = emu.message(chat, chat.pinned[-1]) if chat.pinned else None
    return chat_full_info(chat, emu.users, pinned.data if pinned else None)


@method("getChatMember")
async def get_chat_member(emu: Emulator, p: Params) -> JSON:
    chat = _group(emu, p)
    user = _member_user(emu, p)
    if chat.type == "private":
        status = "member" if user.id in (chat.id, emu.bot.id) else "left"
    else:
        status = emu.status(chat, user.id)
    return member_json(user, status)


@method("getChatAdministrators")
async def get_chat_administrators(emu: Emulator, p: Params) -> list[JSON]:
    chat = _group(emu, p)
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    return [
        member_json(emu.users[uid], status)
        for uid, status in chat.members.items()
        if status in ("creator", "administrator") and uid in emu.users
    ]


@method("getChatMemberCount", "getChatMembersCount")
async def get_chat_member_count(emu: Emulator, p: Params) -> int:
    chat = _group(emu, p)
    if chat.type == "private":
        return 2
    return sum(1 for status in chat.members.values() if status in PRESENT_STATUSES)


@method("leaveChat")
async def leave_chat(emu: Emulator, p: Params) -> bool:
    chat = _group(emu, p)
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    await emu.set_member(chat, emu.bot, "left", actor=emu.bot)
    return True


def _require_admin(emu: Emulator, chat: Chat, what: str) -> None:
    if chat.type == "private":
        raise bad_request("method is available only for groups and supergroups")
    if not emu.bot_is_admin(chat):
        raise bad_request(f"not enough rights to {what}")


@method("banChatMember", "kickChatMember")
async def ban_chat_member(emu: Emulator, p: Params) -> bool:
    chat = _group(emu, p)
    _require_admin(emu, chat, "restrict/unrestrict chat member")
    user = _member_user(emu, p)
    if emu.status(chat, user.id) in ("creator", "administrator"):
        raise bad_request("user is an administrator of the chat")
    await emu.set_member(chat, user, "kicked", actor=emu.bot)
    return True


@method("unbanChatMember")
async def unban_chat_member(emu: Emulator, p: Params) -> bool:
    chat = _group(emu, p)
    _require_admin(emu, chat, "restrict/unrestrict chat member")
    user = _member_user(emu, p)
    if emu.status(chat, user.id) == "kicked":
        await emu.set_member(chat, user, "left", actor=emu.bot)
    return True


@method("exportChatInviteLink")
async def export_invite_link(emu: Emulator, p: Params) -> str:
    chat = _group(emu, p)
    _require_admin(emu, chat, "invite users")
    return f"https://t.me/+{secrets.token_urlsafe(12)}"


@method("createChatInviteLink")
async def create_invite_link(emu: Emulator, p: Params) -> JSON:
    link = await export_invite_link(emu, p)
    return {
        "invite_link": link,
        "creator": user_json(emu.bot),
        "creates_join_request": False,
        "is_primary": False,
        "is_revoked": False,
    }


@method("setChatTitle")
async def set_chat_title(emu: Emulator, p: Params) -> bool:
    chat = _group(emu, p)
    _require_admin(emu, chat, "change chat info")
    # TDLib cuts a long title to 128 code points instead of refusing it (misc.cpp clean_name).
    title = clean_name(p.required_str("title"), NAME_LIMIT)
    if not title:
        raise bad_request("title must be non-empty")
    chat.title = title
    await emu.post(chat, emu.bot, {"new_chat_title": title}, deliver=False)
    await emu.emit("chat", chat_id=chat.id, chat=emu.chat_state(chat))
    return True


@method("setChatMenuButton")
async def set_chat_menu_button(emu: Emulator, p: Params) -> bool:
    button: Any = p.json("menu_button", "menu button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
        raise bad_request("can't parse menu button JSON object")
    if p.has("chat_id"):
        chat = emu.resolve_chat(chat_id_arg(p))
        if chat.type != "private":
            raise bad_request("menu button can be set only in private chats")
        chat.menu_button = button
    else:
        emu.default_menu_button = button
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(emu: Emulator, p: Params) -> JSON:
    if p.has("chat_id"):
        chat = emu.resolve_chat(chat_id_arg(p))
        if chat.menu_button:
            return chat.menu_button
    return emu.default_menu_button or {"type": "default"}


# ---- forum topics --------------------------------------------------------------------------------------
def _forum(emu: Emulator, p: Params) -> Chat:
    chat = _group(emu, p)
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    return chat


def _topic(chat: Chat, p: Params) -> Topic:
    topic = chat.topics.get(p.int("message_thread_id") or 0)
    if topic is None:
        raise bad_request("message thread not found")
    return topic


def topic_json(topic: Topic) -> JSON:
    data: JSON = {"message_thread_id": topic.thread_id, "name": topic.name, "icon_color": topic.icon_color}
    if topic.icon_custom_emoji_id:
        data["icon_custom_emoji_id"] = topic.icon_custom_emoji_id
    return data


@method("createForumTopic")
async def create_forum_topic(emu: Emulator, p: Params) -> JSON:
    chat = _forum(emu, p)
    _require_admin(emu, chat, "create a topic")
    name = clean_name(p.required_str("name"), NAME_LIMIT)  # truncated like a chat title, never refused for length
    if not name:
        raise bad_request("name must be non-empty")
    topic = await emu.create_topic(
        chat, name, emu.bot, icon_color=p.int("icon_color"), icon_custom_emoji_id=p.str("icon_custom_emoji_id")
    )
    return topic_json(topic)


@method("editForumTopic")
async def edit_forum_topic(emu: Emulator, p: Params) -> bool:
    chat = _forum(emu, p)
    _require_admin(emu, chat, "manage topics")
    topic = _topic(chat, p)
    raw_name = p.str("name")
    name = clean_name(raw_name, NAME_LIMIT) if raw_name else None
    if raw_name and not name:
        raise bad_request("name must be non-empty")
    emoji = p.str("icon_custom_emoji_id")
    changes: JSON = {}
    if name and name != topic.name:
        topic.name = changes["name"] = name
    if emoji is not None and emoji != (topic.icon_custom_emoji_id or ""):
        topic.icon_custom_emoji_id = emoji or None
        changes["icon_custom_emoji_id"] = emoji
    if not changes:
        raise bad_request("TOPIC_NOT_MODIFIED")
    await emu.post(chat, emu.bot, {"forum_topic_edited": changes}, thread_id=topic.thread_id, deliver=False)
    await emu.emit("chat", chat_id=chat.id, chat=emu.chat_state(chat))
    return True


async def _set_closed(emu: Emulator, p: Params, closed: bool) -> bool:
    chat = _forum(emu, p)
    _require_admin(emu, chat, "manage topics")
    topic = _topic(chat, p)
    if topic.closed == closed:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.closed = closed
    kind = "forum_topic_closed" if closed else "forum_topic_reopened"
    await emu.post(chat, emu.bot, {kind: {}}, thread_id=topic.thread_id, deliver=False)
    await emu.emit("chat", chat_id=chat.id, chat=emu.chat_state(chat))
    return True


@method("closeForumTopic")
async def close_forum_topic(emu: Emulator, p: Params) -> bool:
    return await _set_closed(emu, p, True)


@method("reopenForumTopic")
async def reopen_forum_topic(emu: Emulator, p: Params) -> bool:
    return await _set_closed(emu, p, False)


@method("deleteForumTopic")
async def delete_forum_topic(emu: Emulator, p: Params) -> bool:
    chat = _forum(emu, p)
    _require_admin(emu, chat, "delete a topic")
    topic = _topic(chat, p)
    del chat.topics[topic.thread_id]
    for stored in chat.messages.values():
        if stored.thread_id == topic.thread_id and not stored.deleted:
            stored.deleted = True
            await emu.emit("delete", chat_id=chat.id, message_id=stored.message_id)
    await emu.emit("chat", chat_id=chat.id, chat=emu.chat_state(chat))
    return True


@method("getForumTopicIconStickers")
async def get_forum_topic_icon_stickers(emu: Emulator, p: Params) -> list[JSON]:
    return []
