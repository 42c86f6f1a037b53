"""Text messages: send, edit, delete, forward, copy, pin, chat actions."""

from __future__ import annotations

from typing import Any

from bot.emulator.engine import SERVICE_FIELDS, Emulator
from bot.emulator.errors import NOT_MODIFIED, bad_request
from bot.emulator.methods.common import (
    check_caption_length,
    check_text_length,
    deliver,
    editable_message,
    formatted_caption,
    formatted_text,
    markup_key,
    reply_markup,
    target_chat,
    text_content,
)
from bot.emulator.methods.registry import method
from bot.emulator.params import Params, chat_id_arg
from bot.emulator.state import JSON, Chat, StoredMessage
from bot.emulator.updates import now, user_json

CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
COPYABLE = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "photo",
    "document",
    "sticker",
    "voice",
    "contact",
    "location",
    "venue",
)


@method("sendMessage")
async def send_message(emu: Emulator, p: Params) -> JSON:
    text, entities = formatted_text(p)
    chat = target_chat(emu, p)
    check_text_length(text, entities)
    markup = reply_markup(p)
    return await deliver(emu, chat, p, text_content(text, entities), markup=markup)


async def _finish_edit(
    emu: Emulator, chat: Chat, stored: StoredMessage, inline: bool, changes: JSON, markup: JSON | None
) -> JSON | bool:
    data = stored.data
    unchanged = all(data.get(key) == value for key, value in changes.items()) and markup_key(
        data.get("reply_markup")
    ) == markup_key(markup)
    if unchanged:
        raise bad_request(NOT_MODIFIED)
    emu.limiter.check_edit(chat.id, chat.is_group)
    for key, value in changes.items():
        if value is None or value == []:
            data.pop(key, None)
        else:
            data[key] = value
    if markup and "inline_keyboard" in markup:
        data["reply_markup"] = markup
    else:
        data.pop("reply_markup", None)
    data["edit_date"] = now()
    stored.edited = True
    await emu.emit("edit", chat_id=chat.id, message=emu.view(stored))
    return True if inline else data


@method("editMessageText")
async def edit_message_text(emu: Emulator, p: Params) -> JSON | bool:
    text, entities = formatted_text(p)
    chat, stored, inline = editable_message(emu, p)
    if "text" not in stored.data:
        raise bad_request("there is no text in the message to edit")
    check_text_length(text, entities)
    markup = reply_markup(p)
    return await _finish_edit(emu, chat, stored, inline, {"text": text, "entities": entities or None}, markup)


@method("editMessageCaption")
async def edit_message_caption(emu: Emulator, p: Params) -> JSON | bool:
    caption, entities = formatted_caption(p)
    chat, stored, inline = editable_message(emu, p)
    if "text" in stored.data or not {"photo", "document", "voice"} & stored.data.keys():
        raise bad_request("there is no caption in the message to edit")
    check_caption_length(caption, entities)
    markup = reply_markup(p)
    return await _finish_edit(
        emu, chat, stored, inline, {"caption": caption or None, "caption_entities": entities or None}, markup
    )


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(emu: Emulator, p: Params) -> JSON | bool:
    chat, stored, inline = editable_message(emu, p)
    return await _finish_edit(emu, chat, stored, inline, {}, reply_markup(p))


def _deletable(emu: Emulator, chat: Chat, stored: StoredMessage) -> bool:
    if stored.from_bot or chat.type == "private":
        return True
    return emu.bot_is_admin(chat)


async def _delete(emu: Emulator, chat: Chat, stored: StoredMessage) -> None:
    stored.deleted = True
    if stored.message_id in chat.pinned:
        chat.pinned.remove(stored.message_id)
    await emu.emit("delete", chat_id=chat.id, message_id=stored.message_id)


@method("deleteMessage")
async def delete_message(emu: Emulator, p: Params) -> bool:
    chat = target_chat(emu, p)
    stored = emu.message(chat, p.required_int("message_id", "message identifier is not specified"))
    if stored is None:
        raise bad_request("message to delete not found")
    if not _deletable(emu, chat, stored):
        raise bad_request("message can't be deleted")
    await _delete(emu, chat, stored)
    return True


@method("deleteMessages")
async def delete_messages(emu: Emulator, p: Params) -> bool:
    chat = target_chat(emu, p)
    ids: Any = p.json("message_ids", "message identifiers")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message identifiers are not specified")
    for message_id in ids:
        stored = emu.message(chat, int(message_id))
        if stored is not None and _deletable(emu, chat, stored):
            await _delete(emu, chat, stored)
    return True


def _source(emu: Emulator, p: Params, verb: str = "forward") -> tuple[Chat, StoredMessage]:
    """The message to forward or copy; Telegram names the verb in its errors ("message to copy not found")."""
    source_chat = emu.resolve_chat(chat_id_arg(p, "from_chat_id"))
    emu.check_bot_access(source_chat)
    stored = emu.message(source_chat, p.required_int("message_id", "message identifier is not specified"))
    if stored is None:
        raise bad_request(f"message to {verb} not found")
    if SERVICE_FIELDS & stored.data.keys() or "invoice" in stored.data:
        raise bad_request("message can't be forwarded" if verb == "forward" else "message can't be copied")
    return source_chat, stored


@method("forwardMessage")
async def forward_message(emu: Emulator, p: Params) -> JSON:
    _, stored = _source(emu, p)
    chat = target_chat(emu, p)
    sender = emu.users.get(stored.sender_id, emu.bot)
    content = {key: stored.data[key] for key in COPYABLE if key in stored.data}
    content["forward_origin"] = {"type": "user", "sender_user": user_json(sender), "date": stored.data["date"]}
    return await deliver(emu, chat, p, content, markup=None)


@method("copyMessage")
async def copy_message(emu: Emulator, p: Params) -> JSON:
    _, stored = _source(emu, p, "copy")
    chat = target_chat(emu, p)
    content = {key: stored.data[key] for key in COPYABLE if key in stored.data}
    if p.has("caption") and "text" not in content:
        caption, entities = formatted_caption(p)
        check_caption_length(caption, entities)
        content["caption"] = caption
        content.pop("caption_entities", None)
        if entities:
            content["caption_entities"] = entities
    markup = reply_markup(p) if p.has("reply_markup") else stored.data.get("reply_markup")
    sent = await deliver(emu, chat, p, content, markup=markup)
    return {"message_id": sent["message_id"]}


@method("sendChatAction")
async def send_chat_action(emu: Emulator, p: Params) -> bool:
    chat = target_chat(emu, p)
    action = p.required_str("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    await emu.emit("action", chat_id=chat.id, action=action)
    return True


def _check_pin_rights(emu: Emulator, chat: Chat) -> None:
    if chat.is_group and not emu.bot_is_admin(chat):
        raise bad_request("not enough rights to manage pinned messages in the chat")


@method("pinChatMessage")
async def pin_chat_message(emu: Emulator, p: Params) -> bool:
    chat = target_chat(emu, p)
    _check_pin_rights(emu, chat)
    stored = emu.message(chat, p.required_int("message_id", "message identifier is not specified"))
    if stored is None:
        raise bad_request("message to pin not found")
    if stored.message_id in chat.pinned:
        chat.pinned.remove(stored.message_id)
    chat.pinned.append(stored.message_id)
    await emu.emit("pin", chat_id=chat.id, message_id=stored.message_id, pinned=True)
    if not p.bool("disable_notification") or chat.type == "private":
        await emu.post(chat, emu.bot, {"pinned_message": dict(stored.data)}, deliver=False)
    return True


@method("unpinChatMessage")
async def unpin_chat_message(emu: Emulator, p: Params) -> bool:
    chat = target_chat(emu, p)
    _check_pin_rights(emu, chat)
    message_id = p.int("message_id")
    if message_id is None:
        message_id = chat.pinned[-1] if chat.pinned else None
    if message_id is None or message_id not in chat.pinned:
        raise bad_request("message to unpin not found")
    chat.pinned.remove(message_id)
    await emu.emit("pin", chat_id=chat.id, message_id=message_id, pinned=False)
    return True


@method("unpinAllChatMessages")
async def unpin_all_chat_messages(emu: Emulator, p: Params) -> bool:
    chat = target_chat(emu, p)
    _check_pin_rights(emu, chat)
    for message_id in list(chat.pinned):
        chat.pinned.remove(message_id)
        await emu.emit("pin", chat_id=chat.id, message_id=message_id, pinned=False)
    return True


@method("setMessageReaction")
async def set_message_reaction(emu: Emulator, p: Params) -> bool:
    chat = target_chat(emu, p)
    if emu.message(chat, p.required_int("message_id")) is None:
        raise bad_request("message to react not found")
    return True
