"""In-memory world of the emulator: users, chats, messages, files, queries, payments."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

MEMBER_STATUSES = {"creator", "administrator", "member", "restricted", "left", "kicked"}
PRESENT_STATUSES = {"creator", "administrator", "member", "restricted"}


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    lang: str | None = None
    is_bot: bool = False
    blocked_bot: bool = False
    started: bool = False  # opened the private chat with the bot; until then the bot can't write first
    toasts: list[JSON] = field(default_factory=list)


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int = 7322096
    icon_custom_emoji_id: str | None = None
    closed: bool = False


@dataclass
class InvoiceInfo:
    title: str
    description: str
    payload: str
    currency: str
    prices: list[JSON]
    provider_token: str
    start_parameter: str = ""
    need_name: bool = False
    need_phone_number: bool = False
    need_email: bool = False
    need_shipping_address: bool = False

    @property
    def total_amount(self) -> int:
        return sum(int(p["amount"]) for p in self.prices)


@dataclass
class StoredMessage:
    chat_id: int
    message_id: int
    data: JSON  # the Telegram Message object, kept current after edits
    from_bot: bool
    sender_id: int
    thread_id: int | None = None
    deleted: bool = False
    edited: bool = False
    invoice: InvoiceInfo | None = None
    keyboard: JSON | None = None  # a reply keyboard (or its removal) the bot sent with this message


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    is_forum: bool = False
    members: dict[int, str] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    pinned: list[int] = field(default_factory=list)
    migrated_to: int | None = None
    migrated_from: int | None = None
    reply_keyboard: JSON | None = None
    chat_instance: str = ""
    menu_button: JSON | None = None

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")


@dataclass
class FileRecord:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    kind: str  # photo | document | sticker | voice
    mime_type: str = "application/octet-stream"
    file_name: str | None = None
    width: int = 0
    height: int = 0


@dataclass
class CallbackRecord:
    id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    created: float
    answered: bool = False
    answer: JSON | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    data: str | None = None  # the button's callback_data, to name the query in reports

    def summary(self) -> JSON:
        return {
            "callback_query_id": self.id,
            "user_id": self.user_id,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "data": self.data,
        }


@dataclass
class PreCheckoutRecord:
    id: str
    user_id: int
    chat_id: int
    message_id: int | None
    invoice: InvoiceInfo
    created: float
    answer: asyncio.Future[JSON] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    expired: bool = False

    def summary(self) -> JSON:
        return {
            "pre_checkout_query_id": self.id,
            "user_id": self.user_id,
            "currency": self.invoice.currency,
            "total_amount": self.invoice.total_amount,
            "invoice_payload": self.invoice.payload,
            "expired": self.expired,
        }


@dataclass
class InlineQueryRecord:
    id: str
    user_id: int
    query: str
    created: float
    answer: asyncio.Future[JSON] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


@dataclass
class Charge:
    telegram_payment_charge_id: str
    user_id: int
    currency: str
    total_amount: int
    payload: str
    refunded: bool = False


@dataclass
class Webhook:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None
