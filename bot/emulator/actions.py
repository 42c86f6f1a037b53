"""What users do: write, tap, press, share, pay... Each action produces the updates Telegram would send."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from bot.emulator.engine import ControlError, Emulator
from bot.emulator.entities import auto_entities
from bot.emulator.files import image_size, placeholder_png
from bot.emulator.methods.media import document_json, photo_json, sticker_json
from bot.emulator.rules import INLINE_QUERY_LIMIT, TEXT_LIMIT, valid_deeplink_payload
from bot.emulator.state import (
    JSON,
    PRESENT_STATUSES,
    CallbackRecord,
    Charge,
    Chat,
    InlineQueryRecord,
    InvoiceInfo,
    PreCheckoutRecord,
    StoredMessage,
    User,
)
from bot.emulator.updates import chat_member_updated, user_json


def _check_can_write(emu: Emulator, user: User, chat: Chat) -> None:
    if chat.type == "private":
        if chat.id != user.id:
            raise ControlError(f"user {user.id} can't write in another user's private chat")
        return
    if chat.migrated_to:
        raise ControlError(f"chat {chat.id} was upgraded to supergroup {chat.migrated_to}")
    if emu.status(emu.chats[chat.id], user.id) not in PRESENT_STATUSES:
        raise ControlError(f"user {user.id} is not a member of chat {chat.id}")


async def _unblock_if_needed(emu: Emulator, user: User, chat: Chat) -> None:
    # writing to a blocked bot means pressing "Restart" in Telegram: the block is lifted first
    if chat.type == "private" and user.blocked_bot:
        await set_blocked(emu, user, False)


def _thread(chat: Chat, thread_id: int | None) -> int | None:
    if thread_id is None or not chat.is_forum:
        return None
    topic = chat.topics.get(thread_id)
    if topic is None:
        raise ControlError(f"no topic {thread_id} in chat {chat.id}")
    if topic.closed:
        raise ControlError(f"topic {thread_id} is closed")
    return thread_id


async def post_from_user(
    emu: Emulator,
    user: User,
    chat: Chat,
    content: JSON,
    *,
    thread_id: int | None = None,
    reply_to_message_id: int | None = None,
) -> StoredMessage:
    _check_can_write(emu, user, chat)
    emu.user_acts()
    await _unblock_if_needed(emu, user, chat)
    reply_to = emu.message(chat, reply_to_message_id) if reply_to_message_id else None
    if reply_to_message_id and reply_to is None:
        raise ControlError(f"message {reply_to_message_id} not found in chat {chat.id}")
    thread = _thread(chat, thread_id)
    if thread is None and reply_to is not None:
        thread = reply_to.thread_id
    return await emu.post(chat, user, content, thread_id=thread, reply_to=reply_to)


async def send_text(emu: Emulator, user: User, chat: Chat, text: str, **where: Any) -> StoredMessage:
    if not text.strip():
        raise ControlError("text is empty")
    if len(text) > TEXT_LIMIT:
        raise ControlError("text is longer than 4096 characters")
    content: JSON = {"text": text}
    entities = auto_entities(text)
    if entities:
        content["entities"] = entities
    return await post_from_user(emu, user, chat, content, **where)


async def share_contact(emu: Emulator, user: User, chat: Chat, phone: str | None) -> StoredMessage:
    contact: JSON = {
        "phone_number": phone or f"+1555{user.id % 10_000_000:07d}",
        "first_name": user.first_name,
        "user_id": user.id,
    }
    if user.last_name:
        contact["last_name"] = user.last_name
    return await post_from_user(emu, user, chat, {"contact": contact})


async def send_file(
    emu: Emulator,
    user: User,
    chat: Chat,
    kind: str,
    data: bytes,
    *,
    filename: str | None,
    content_type: str | None,
    caption: str | None,
    **where: Any,
) -> StoredMessage:
    if kind == "photo":
        info = image_size(data)
        if info is None:
            raise ControlError("the file is not an image; send it as a document")
        record = emu.files.add(data, "photo", mime_type=info[0], file_name=filename, width=info[1], height=info[2])
        content: JSON = {"photo": photo_json(emu, record)}
    elif kind == "sticker":
        data = data or placeholder_png(512, 512)
        info = image_size(data)
        record = emu.files.add(
            data,
            "sticker",
            mime_type=info[0] if info else "image/webp",
            width=info[1] if info else 512,
            height=info[2] if info else 512,
        )
        content = {"sticker": {**sticker_json(record), "emoji": "🙂"}}
    elif kind == "voice":
        record = emu.files.add(data, "voice", mime_type=content_type or "audio/ogg", file_name=filename)
        content = {
            "voice": {
                "file_id": record.file_id,
                "file_unique_id": record.file_unique_id,
                "duration": max(1, len(data) // 4000),
                "mime_type": record.mime_type,
                "file_size": len(data),
            }
        }
    elif kind == "document":
        record = emu.files.add(
            data, "document", mime_type=content_type or "application/octet-stream", file_name=filename or "file.bin"
        )
        content = {"document": document_json(record)}
    else:
        raise ControlError(f"unknown file kind {kind}")
    if caption and kind != "sticker":
        content["caption"] = caption
        entities = auto_entities(caption)
        if entities:
            content["caption_entities"] = entities
    return await post_from_user(emu, user, chat, content, **where)


async def open_deeplink(emu: Emulator, user: User, payload: str) -> StoredMessage:
    if not valid_deeplink_payload(payload):
        raise ControlError(f"invalid start parameter {payload!r}: Telegram allows 1-64 characters of A-Z a-z 0-9 _ -")
    return await send_text(emu, user, emu.private_chat(user), f"/start {payload}")


async def set_blocked(emu: Emulator, user: User, blocked: bool) -> None:
    if user.blocked_bot == blocked:
        return
    user.blocked_bot = blocked
    chat = emu.private_chat(user)
    old, new = ("member", "kicked") if blocked else ("kicked", "member")
    await emu.queue.push("my_chat_member", chat_member_updated(emu.chat_json(chat), user, emu.bot, old, new))
    await emu.emit("user", user_id=user.id, blocked_bot=blocked)


# ---- buttons ---------------------------------------------------------------------------------------------
@dataclass
class TapResult:
    update_id: int | None
    button: JSON
    record: CallbackRecord | None = None
    url: str | None = None
    deeplink: str | None = None
    deeplink_error: str | None = None


def _keyboard_message(emu: Emulator, chat: Chat, message_id: int | None) -> StoredMessage:
    if message_id is not None:
        stored = emu.message(chat, message_id)
        if stored is None:
            raise ControlError(f"message {message_id} not found in chat {chat.id}")
        if not stored.data.get("reply_markup", {}).get("inline_keyboard"):
            raise ControlError(f"message {message_id} has no inline keyboard")
        return stored
    for stored in sorted(chat.messages.values(), key=lambda m: m.message_id, reverse=True):
        if not stored.deleted and stored.data.get("reply_markup", {}).get("inline_keyboard"):
            return stored
    raise ControlError(f"no message with an inline keyboard in chat {chat.id}")


def _find_button(rows: list[list[JSON]], label: str | None, row: int | None, col: int | None) -> JSON:
    if label is None:
        try:
            return rows[row or 0][col or 0]
        except IndexError as exc:
            raise ControlError(f"no button at row {row}, col {col}") from exc
    flat = [button for line in rows for button in line]
    for match in (lambda t: t == label, lambda t: t.lower() == label.lower(), lambda t: label.lower() in t.lower()):
        found = [button for button in flat if match(button["text"])]
        if found:
            return found[0]
    raise ControlError(f"no button {label!r}; buttons are {[b['text'] for b in flat]}")


def _deeplink(emu: Emulator, url: str) -> tuple[str | None, str | None]:
    match = re.match(r"^(?:https?://)?t\.me/([A-Za-z0-9_]+)\?start(?:group)?=(.*)$", url)
    if not match or match.group(1).lower() != (emu.bot.username or "").lower():
        return None, None
    payload = match.group(2)
    if not valid_deeplink_payload(payload):
        return payload, f"invalid start parameter {payload!r}"
    return payload, None


async def tap(
    emu: Emulator,
    user: User,
    chat: Chat,
    *,
    message_id: int | None = None,
    label: str | None = None,
    row: int | None = None,
    col: int | None = None,
) -> TapResult:
    if chat.type != "private" or chat.id != user.id:
        _check_can_write(emu, user, chat)
    stored = _keyboard_message(emu, chat, message_id)
    emu.user_acts()
    rows = stored.data.get("reply_markup", {}).get("inline_keyboard") or []
    button = _find_button(rows, label, row, col)
    if "url" in button:
        payload, error = _deeplink(emu, button["url"])
        return TapResult(None, button, url=button["url"], deeplink=payload, deeplink_error=error)
    if "callback_data" not in button:
        return TapResult(None, button)
    record = CallbackRecord(
        id=emu.next_query_id(),
        user_id=user.id,
        chat_id=chat.id,
        message_id=stored.message_id,
        created=emu.clock.now(),
        data=button["callback_data"],
    )
    emu.callbacks[record.id] = record
    query: JSON = {
        "id": record.id,
        "from": user_json(user),
        "chat_instance": chat.chat_instance,
        "data": button["callback_data"],
    }
    inline_id = next((key for key, ref in emu.inline_messages.items() if ref == (chat.id, stored.message_id)), None)
    if inline_id is not None:
        query["inline_message_id"] = inline_id
    else:
        query["message"] = stored.data
    update = await emu.queue.push("callback_query", query)
    return TapResult(update["update_id"], button, record=record)


async def press(emu: Emulator, user: User, chat: Chat, label: str) -> StoredMessage:
    keyboard = chat.reply_keyboard
    if not keyboard:
        raise ControlError(f"no reply keyboard is shown in chat {chat.id}")
    button = _find_button(keyboard["keyboard"], label, None, None)
    if keyboard.get("one_time_keyboard"):
        chat.reply_keyboard = None
    if button.get("request_contact"):
        return await share_contact(emu, user, chat, None)
    return await send_text(emu, user, chat, button["text"])


# ---- inline mode -----------------------------------------------------------------------------------------
async def inline_query(emu: Emulator, user: User, query: str, chat_type: str | None, offset: str = "") -> JSON:
    """`offset` is what the bot's previous answer gave as next_offset (the client scrolling further)."""
    if len(query) > INLINE_QUERY_LIMIT:
        raise ControlError(f"an inline query has at most {INLINE_QUERY_LIMIT} characters")
    emu.user_acts()
    record = InlineQueryRecord(id=emu.next_query_id(), user_id=user.id, query=query, created=emu.clock.now())
    emu.inline_queries[record.id] = record
    payload: JSON = {"id": record.id, "from": user_json(user), "query": query, "offset": offset}
    if chat_type:
        payload["chat_type"] = chat_type
    await emu.queue.mark_busy(1)
    try:
        await emu.queue.push("inline_query", payload)
        timeout = emu.clock.seconds(emu.limits.inline_answer_window)
        try:
            answer: JSON = await asyncio.wait_for(asyncio.shield(record.answer), timeout)
        except TimeoutError:
            return {"inline_query_id": record.id, "answered": False, "results": []}
    finally:
        await emu.queue.mark_busy(-1)
    return {"inline_query_id": record.id, "answered": True, **answer}


async def choose_inline(emu: Emulator, user: User, result_id: str, chat: Chat | None) -> JSON:
    for record in reversed(list(emu.inline_queries.values())):
        if record.user_id != user.id or not record.answer.done():
            continue
        result = next((r for r in record.answer.result()["results"] if r["id"] == result_id), None)
        if result is not None:
            break
    else:
        raise ControlError(f"no inline result {result_id!r} was offered to user {user.id}")
    chosen: JSON = {"result_id": result_id, "from": user_json(user), "query": record.query}
    message_id = None
    if chat is not None:
        content = _inline_content(result)
        content["via_bot"] = user_json(emu.bot)
        _check_can_write(emu, user, chat)
        stored = await emu.post(chat, user, content, reply_markup=result.get("reply_markup"))
        message_id = stored.message_id
        if result.get("reply_markup"):
            inline_id = f"IM{emu.next_query_id()}"
            emu.inline_messages[inline_id] = (chat.id, stored.message_id)
            chosen["inline_message_id"] = inline_id
    update = await emu.queue.push("chosen_inline_result", chosen)
    return {
        "update_id": update["update_id"],
        "message_id": message_id,
        "inline_message_id": chosen.get("inline_message_id"),
    }


def _inline_content(result: JSON) -> JSON:
    content = result.get("input_message_content") or {}
    if "message_text" in content:
        data: JSON = {"text": content["message_text"]}
        if content.get("entities"):
            data["entities"] = content["entities"]
        return data
    return {"text": result.get("title") or result["id"]}


# ---- payments --------------------------------------------------------------------------------------------
def _invoice_message(emu: Emulator, chat: Chat, message_id: int | None) -> StoredMessage:
    if message_id is not None:
        stored = emu.message(chat, message_id)
        if stored is None or stored.invoice is None:
            raise ControlError(f"message {message_id} in chat {chat.id} is not an invoice")
        return stored
    for stored in sorted(chat.messages.values(), key=lambda m: m.message_id, reverse=True):
        if stored.invoice is not None and not stored.deleted:
            return stored
    raise ControlError(f"no invoice in chat {chat.id}")


def _order_info(user: User, invoice: InvoiceInfo, given: JSON | None) -> JSON | None:
    """What Telegram's payment form collects for an invoice that asks (need_name, need_shipping_address ...)."""
    wanted = {
        "name": invoice.need_name,
        "phone_number": invoice.need_phone_number,
        "email": invoice.need_email,
        "shipping_address": invoice.need_shipping_address,
    }
    if not any(wanted.values()):
        return None
    defaults: JSON = {
        "name": user.first_name,
        "phone_number": "+8613800138000",
        "email": f"user{user.id}@example.com",
        "shipping_address": {
            "country_code": "CN",
            "state": "Shanghai",
            "city": "Shanghai",
            "street_line1": "100 Century Avenue",
            "street_line2": "Apt 8",
            "post_code": "200120",
        },
    }
    source = {**defaults, **(given or {})}
    return {key: source[key] for key, needed in wanted.items() if needed}


async def pay(
    emu: Emulator,
    user: User,
    chat: Chat,
    *,
    message_id: int | None = None,
    card: str = "ok",
    link: str | None = None,
    duplicate: bool = False,
    order_info: JSON | None = None,
) -> JSON:
    """Telegram's payment flow: pre_checkout_query, the bot's answer within 10 s, then successful_payment."""
    emu.user_acts()
    if link:
        invoice: InvoiceInfo | None = emu.invoice_links.get(link)
        if invoice is None:
            raise ControlError(f"unknown invoice link {link}")
        chat, source_id = emu.private_chat(user), None
    else:
        stored = _invoice_message(emu, chat, message_id)
        invoice, source_id = stored.invoice, stored.message_id
    assert invoice is not None
    record = PreCheckoutRecord(
        id=emu.next_query_id(),
        user_id=user.id,
        chat_id=chat.id,
        message_id=source_id,
        invoice=invoice,
        created=emu.clock.now(),
    )
    emu.pre_checkouts[record.id] = record
    query: JSON = {
        "id": record.id,
        "from": user_json(user),
        "currency": invoice.currency,
        "total_amount": invoice.total_amount,
        "invoice_payload": invoice.payload,
    }
    info = _order_info(user, invoice, order_info)
    if info is not None:
        query["order_info"] = info
    await emu.queue.mark_busy(1)
    try:
        await emu.queue.push("pre_checkout_query", query)
        try:
            answer = await asyncio.wait_for(
                asyncio.shield(record.answer), emu.clock.seconds(emu.limits.pre_checkout_timeout)
            )
        except TimeoutError:
            record.expired = True
            return await _payment_result(
                emu, user, chat, "timeout", error="the bot did not answer the pre-checkout query in time"
            )
        if not answer["ok"]:
            return await _payment_result(emu, user, chat, "rejected", error=answer["error_message"])
        if card == "declined":
            return await _payment_result(emu, user, chat, "declined", error="card declined")
        return await _complete_payment(emu, user, chat, invoice, duplicate, info)
    finally:
        await emu.queue.mark_busy(-1)


async def _payment_result(
    emu: Emulator, user: User, chat: Chat, status: str, error: str | None = None, **extra: Any
) -> JSON:
    await emu.emit("payment", user_id=user.id, chat_id=chat.id, status=status, error=error, **extra)
    return {"status": status, "error": error, **extra}


async def _complete_payment(
    emu: Emulator, user: User, chat: Chat, invoice: InvoiceInfo, duplicate: bool, order_info: JSON | None = None
) -> JSON:
    stars = invoice.currency == "XTR"
    charge = Charge(
        telegram_payment_charge_id=emu.next_charge_id(stars),
        user_id=user.id,
        currency=invoice.currency,
        total_amount=invoice.total_amount,
        payload=invoice.payload,
    )
    emu.charges[charge.telegram_payment_charge_id] = charge
    payment = {
        "currency": invoice.currency,
        "total_amount": invoice.total_amount,
        "invoice_payload": invoice.payload,
        "telegram_payment_charge_id": charge.telegram_payment_charge_id,
        "provider_payment_charge_id": "" if stars else f"prov_{charge.telegram_payment_charge_id[-12:]}",
    }
    if order_info is not None:
        payment["order_info"] = order_info
    stored = await emu.post(chat, user, {"successful_payment": payment})
    if duplicate:
        # Telegram may deliver the same payment twice; the bot must credit it once
        await emu.queue.push("message", stored.data)
    return await _payment_result(
        emu,
        user,
        chat,
        "paid",
        message_id=stored.message_id,
        telegram_payment_charge_id=charge.telegram_payment_charge_id,
        provider_payment_charge_id=payment["provider_payment_charge_id"],
    )
