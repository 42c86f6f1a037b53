"""Updates a well-behaved test user never produces but Telegram does deliver: taps on old or altered buttons,
any message content, payments whose invoice no longer matches the shop, groups whose "bot added" update the
bot never saw. The fuzz test drives the bot with these; every query they create is tracked like a real one,
so an unanswered or late answer still shows up in `Emulator.unanswered_callbacks`.
"""

from __future__ import annotations

from bot.emulator.actions import post_from_user
from bot.emulator.engine import ControlError, Emulator
from bot.emulator.entities import auto_entities
from bot.emulator.rules import CAPTION_LIMIT, TEXT_LIMIT
from bot.emulator.state import JSON, CallbackRecord, Charge, Chat, InvoiceInfo, PreCheckoutRecord, StoredMessage, User
from bot.emulator.updates import user_json

# What a user's message may carry besides text: Telegram clients build these, the test only picks values.
CONTENT_KINDS = {"text", "caption", "photo", "sticker", "contact", "location", "venue", "dice", "document"}


def adopt_group(emu: Emulator, kind: str, title: str, members: list[User], *, bot_admin: bool = False) -> Chat:
    """A group that already has the bot, created without the my_chat_member update (as if the bot was added
    while its updates were lost): its updates reach a bot that has no record of the chat."""
    if kind not in ("group", "supergroup"):
        raise ControlError("type must be group or supergroup")
    n = next(emu._group_ids)
    chat_id = -(1_000_000_000_000 + n) if kind == "supergroup" else -(4_000_000_000 + n)
    chat = Chat(id=chat_id, type=kind, title=title, chat_instance=emu._chat_instance())
    for index, member in enumerate(members):
        chat.members[member.id] = "creator" if index == 0 else "member"
    chat.members[emu.bot.id] = "administrator" if bot_admin else "member"
    emu.chats[chat_id] = chat
    return chat


async def post_content(
    emu: Emulator,
    user: User,
    chat: Chat,
    content: JSON,
    *,
    thread_id: int | None = None,
    reply_to_message_id: int | None = None,
) -> StoredMessage:
    """Any message content a Telegram client can send, within Telegram's own limits for users."""
    unknown = set(content) - CONTENT_KINDS
    if unknown or not content:
        raise ControlError(f"content must use {sorted(CONTENT_KINDS)}; got {sorted(content)}")
    content = dict(content)
    text = content.get("text")
    if text is not None:
        if not isinstance(text, str) or not text.strip() or len(text) > TEXT_LIMIT:
            raise ControlError("text must be 1-4096 characters and not only spaces")
        found = auto_entities(text)
        if found:
            content["entities"] = found
    caption = content.get("caption")
    if caption is not None:
        if not isinstance(caption, str) or len(caption) > CAPTION_LIMIT:
            raise ControlError("caption must be at most 1024 characters")
        found = auto_entities(caption)
        if found:
            content["caption_entities"] = found
    if "photo" in content and not isinstance(content["photo"], list):
        from bot.emulator.files import placeholder_png
        from bot.emulator.methods.media import photo_json

        record = emu.files.add(placeholder_png(64, 48), "photo", mime_type="image/png", width=64, height=48)
        content["photo"] = photo_json(emu, record)
    if "document" in content and not isinstance(content["document"], dict):
        from bot.emulator.methods.media import document_json

        data = str(content["document"]).encode()
        record = emu.files.add(data, "document", mime_type="text/plain", file_name="notes.txt")
        content["document"] = document_json(record)
    return await post_from_user(emu, user, chat, content, thread_id=thread_id, reply_to_message_id=reply_to_message_id)


async def tap_data(emu: Emulator, user: User, chat: Chat, data: str, *, message_id: int | None = None) -> JSON:
    """A callback query with any 1-64 bytes of data from a bot message in `chat`: an old button whose
    meaning the bot has forgotten, or a client that altered it. Without a bot message to tap, a silent
    one stands in for a message sent long ago."""
    if not 1 <= len(data.encode("utf-8")) <= 64:
        raise ControlError("callback data is 1-64 bytes")
    if chat.type != "private" and emu.status(chat, user.id) not in ("creator", "administrator", "member"):
        raise ControlError(f"user {user.id} is not a member of chat {chat.id}")
    emu.user_acts()
    stored = emu.message(chat, message_id) if message_id is not None else _last_bot_message(chat)
    if stored is None or not stored.from_bot:
        markup = {"inline_keyboard": [[{"text": "·", "callback_data": data}]]}
        stored = await emu.post(chat, emu.bot, {"text": "·"}, reply_markup=markup, deliver=False)
    record = CallbackRecord(
        id=emu.next_query_id(),
        user_id=user.id,
        chat_id=chat.id,
        message_id=stored.message_id,
        created=emu.clock.now(),
        data=data,
    )
    emu.callbacks[record.id] = record
    query: JSON = {
        "id": record.id,
        "from": user_json(user),
        "chat_instance": chat.chat_instance,
        "message": stored.data,
        "data": data,
    }
    update = await emu.queue.push("callback_query", query)
    return {"update_id": update["update_id"], "callback_query_id": record.id, "message_id": stored.message_id}


def _last_bot_message(chat: Chat) -> StoredMessage | None:
    for stored in sorted(chat.messages.values(), key=lambda m: m.message_id, reverse=True):
        if stored.from_bot and not stored.deleted:
            return stored
    return None


def _invoice(currency: str, total_amount: int, payload: str) -> InvoiceInfo:
    if not 1 <= len(payload.encode("utf-8")) <= 128:
        raise ControlError("an invoice payload is 1-128 bytes")
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise ControlError("currency is a 3-letter code")
    if total_amount <= 0:
        raise ControlError("total_amount is positive")
    return InvoiceInfo(
        title="invoice",
        description="invoice",
        payload=payload,
        currency=currency,
        prices=[{"label": "total", "amount": total_amount}],
        provider_token="",
    )


async def pre_checkout(emu: Emulator, user: User, currency: str, total_amount: int, payload: str) -> JSON:
    """The pre-checkout query of an invoice the shop may no longer agree with (another price, currency or
    order). It does not wait for the answer: `unanswered_pre_checkouts` tells whether one came."""
    invoice = _invoice(currency, total_amount, payload)
    emu.user_acts()
    chat = emu.private_chat(user)
    record = PreCheckoutRecord(
        id=emu.next_query_id(),
        user_id=user.id,
        chat_id=chat.id,
        message_id=None,
        invoice=invoice,
        created=emu.clock.now(),
    )
    emu.pre_checkouts[record.id] = record
    query: JSON = {
        "id": record.id,
        "from": user_json(user),
        "currency": currency,
        "total_amount": total_amount,
        "invoice_payload": payload,
    }
    update = await emu.queue.push("pre_checkout_query", query)
    return {"update_id": update["update_id"], "pre_checkout_query_id": record.id}


async def successful_payment(emu: Emulator, user: User, currency: str, total_amount: int, payload: str) -> JSON:
    """A charge Telegram reports after the shop's state moved on (the order expired or changed between the
    pre-checkout answer and the payment). The charge is real: Stars can be refunded."""
    _invoice(currency, total_amount, payload)
    emu.user_acts()
    stars = currency == "XTR"
    charge = Charge(
        telegram_payment_charge_id=emu.next_charge_id(stars),
        user_id=user.id,
        currency=currency,
        total_amount=total_amount,
        payload=payload,
    )
    emu.charges[charge.telegram_payment_charge_id] = charge
    payment = {
        "currency": currency,
        "total_amount": total_amount,
        "invoice_payload": payload,
        "telegram_payment_charge_id": charge.telegram_payment_charge_id,
        "provider_payment_charge_id": "" if stars else f"prov_{charge.telegram_payment_charge_id[-12:]}",
    }
    stored = await emu.post(emu.private_chat(user), user, {"successful_payment": payment})
    return {"message_id": stored.message_id, "telegram_payment_charge_id": charge.telegram_payment_charge_id}
