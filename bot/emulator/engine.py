"""The emulated Telegram world: users, chats and messages, and how they turn into the bot's updates."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from typing import Any

from bot.emulator.config import EmulatorConfig
from bot.emulator.delivery import UpdateQueue
from bot.emulator.errors import ApiError, bad_request, forbidden
from bot.emulator.files import FileStore
from bot.emulator.rules import Clock, FloodLimiter
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
    Topic,
    User,
)
from bot.emulator.updates import chat_json, chat_member_updated, now, shallow_reply, user_json

SERVICE_FIELDS = {
    "new_chat_members",
    "left_chat_member",
    "new_chat_title",
    "group_chat_created",
    "supergroup_chat_created",
    "migrate_to_chat_id",
    "migrate_from_chat_id",
    "pinned_message",
    "forum_topic_created",
    "forum_topic_edited",
    "forum_topic_closed",
    "forum_topic_reopened",
    "successful_payment",
    "refunded_payment",
}
TOPIC_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)


class ControlError(Exception):
    """A bad request to the control API (unknown user, no keyboard to press...), reported as HTTP 400."""


class Emulator:
    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.clock = Clock(self.config.time_scale, frozen=self.config.frozen_clock)
        self.limits = self.config.limits()
        self.limiter = FloodLimiter(self.limits, self.clock, enabled=self.config.flood_limits)
        self.queue = UpdateQueue(self.clock)
        self.files = FileStore()
        self.bot = User(
            id=self.config.bot_id, first_name=self.config.first_name, username=self.config.username, is_bot=True
        )
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.pre_checkouts: dict[str, PreCheckoutRecord] = {}
        self.inline_queries: dict[str, InlineQueryRecord] = {}
        self.inline_messages: dict[str, tuple[int, int]] = {}
        self.invoice_links: dict[str, InvoiceInfo] = {}
        self.charges: dict[str, Charge] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.profile: dict[tuple[str, str], str] = {}
        self.admin_rights: dict[bool, JSON] = {}
        self.default_menu_button: JSON | None = None
        self.calls: list[JSON] = []
        # every error answer the bot got; unlike `calls` never trimmed, so a long test cannot lose one
        self.errors: list[JSON] = []
        self.events: list[JSON] = []
        self.event_polls_received = 0  # /control/events calls that arrived (a test waits for its long poll)
        self._events_changed = asyncio.Condition()
        self._reset_counters()

    def _reset_counters(self) -> None:
        self.users = {self.bot.id: self.bot}
        self._user_ids = itertools.count(1_000_001)
        self._group_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._charge_ids = itertools.count(1)
        self._call_seq = 0

    def reset(self) -> None:
        """Forget the world (users, chats, files, queue, logs) but keep configuration."""
        self.chats.clear()
        self.callbacks.clear()
        self.pre_checkouts.clear()
        self.inline_queries.clear()
        self.inline_messages.clear()
        self.invoice_links.clear()
        self.charges.clear()
        self.commands.clear()
        self.profile.clear()
        self.admin_rights.clear()
        self.default_menu_button = None
        self.calls.clear()
        self.errors.clear()
        self.events.clear()
        self.files.clear()
        self.limiter.reset()
        self.queue.reset()
        self._reset_counters()

    def user_acts(self) -> None:
        """A person does something: emulated time first moves on by their pace (`user_pace_seconds`), so the
        flood windows judge what the bot sends for each action rather than how fast a test can click."""
        if self.config.user_pace_seconds > 0:
            self.clock.advance(self.config.user_pace_seconds)

    def set_time_scale(self, scale: float) -> None:
        self.clock.scale = scale
        self.config.time_scale = scale

    def set_flood_limits(self, enabled: bool) -> None:
        self.limiter.enabled = enabled
        self.config.flood_limits = enabled

    def next_query_id(self) -> str:
        return f"{next(self._query_ids)}{random.randint(10**9, 10**10 - 1)}"

    def next_charge_id(self, stars: bool) -> str:
        prefix = "stxt" if stars else "tg_charge_"
        return f"{prefix}{next(self._charge_ids):06d}{random.randint(10**7, 10**8 - 1)}"

    # ---- users and chats -------------------------------------------------------------------------------
    def add_user(
        self, name: str, lang: str | None = None, username: str | None = None, user_id: int | None = None
    ) -> User:
        first, _, last = name.partition(" ")
        uid = user_id if user_id is not None else next(self._user_ids)
        while user_id is None and uid in self.users:
            uid = next(self._user_ids)
        if uid in self.users:
            raise ControlError(f"user {uid} already exists")
        user = User(id=uid, first_name=first or name, last_name=last or None, username=username, lang=lang)
        self.users[uid] = user
        return user

    def user(self, user_id: Any) -> User:
        try:
            user = self.users.get(int(user_id))
        except (TypeError, ValueError):
            user = None
        if user is None:
            raise ControlError(f"unknown user {user_id!r}")
        return user

    def private_chat(self, user: User) -> Chat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = Chat(id=user.id, type="private", chat_instance=self._chat_instance())
            chat.members = {user.id: "member", self.bot.id: "member"}
            self.chats[user.id] = chat
        return chat

    def control_chat(self, chat_id: Any, user: User | None = None) -> Chat:
        if chat_id is None or chat_id == "":
            if user is None:
                raise ControlError("chat_id is required")
            return self.private_chat(user)
        try:
            ref = int(chat_id)
        except (TypeError, ValueError):
            raise ControlError(f"unknown chat {chat_id!r}") from None
        chat = self.chats.get(ref)
        if chat is None and ref in self.users and ref != self.bot.id:
            # a user's private chat exists (empty) before their first message, as for the bot in resolve_chat
            chat = self.private_chat(self.users[ref])
        if chat is None:
            raise ControlError(f"unknown chat {chat_id!r}")
        return chat

    def _chat_instance(self) -> str:
        return str(random.randint(10**18, 9 * 10**18))

    def chat_json(self, chat: Chat) -> JSON:
        return chat_json(chat, self.users)

    def status(self, chat: Chat, user_id: int) -> str:
        return chat.members.get(user_id, "left")

    async def create_group(
        self,
        kind: str,
        title: str,
        members: list[User],
        *,
        forum: bool = False,
        bot_member: bool = True,
        bot_admin: bool = False,
    ) -> Chat:
        if kind not in ("group", "supergroup"):
            raise ControlError("type must be group or supergroup")
        if forum and kind != "supergroup":
            raise ControlError("only supergroups can be forums")
        n = next(self._group_ids)
        chat_id = -(1_000_000_000_000 + n) if kind == "supergroup" else -(4_000_000_000 + n)
        chat = Chat(id=chat_id, type=kind, title=title, is_forum=forum, chat_instance=self._chat_instance())
        self.chats[chat_id] = chat
        creator = members[0] if members else None
        if creator is not None:
            chat.members[creator.id] = "creator"
        await self.emit("chat", chat_id=chat_id, chat=self.chat_state(chat))
        for member in members[1:]:
            await self.set_member(chat, member, "member", actor=creator)
        if bot_member or bot_admin:
            await self.set_member(chat, self.bot, "administrator" if bot_admin else "member", actor=creator)
        return chat

    async def set_member(self, chat: Chat, user: User, status: str, actor: User | None = None) -> None:
        if chat.type == "private":
            raise ControlError("private chats have no members to change")
        old = self.status(chat, user.id)
        if old == status:
            return
        actor = actor or self._creator(chat) or user
        chat.members[user.id] = status
        payload = chat_member_updated(self.chat_json(chat), actor, user, old, status)
        joined = old not in PRESENT_STATUSES and status in PRESENT_STATUSES
        left = old in PRESENT_STATUSES and status not in PRESENT_STATUSES
        if user.id == self.bot.id:
            await self.queue.push("my_chat_member", payload)
        elif self.status(chat, self.bot.id) in ("administrator", "creator"):
            await self.queue.push("chat_member", payload)
        if joined:
            await self.post(chat, actor, {"new_chat_members": [user_json(user)]})
        elif left and user.id != self.bot.id:
            await self.post(chat, actor, {"left_chat_member": user_json(user)})
        await self.emit("chat", chat_id=chat.id, chat=self.chat_state(chat))

    def _creator(self, chat: Chat) -> User | None:
        for uid, status in chat.members.items():
            if status == "creator":
                return self.users.get(uid)
        return None

    async def create_topic(
        self,
        chat: Chat,
        name: str,
        creator: User,
        icon_color: int | None = None,
        icon_custom_emoji_id: str | None = None,
    ) -> Topic:
        if not chat.is_forum:
            raise bad_request("the chat is not a forum")
        color = icon_color if icon_color is not None else TOPIC_COLORS[len(chat.topics) % len(TOPIC_COLORS)]
        content: JSON = {"forum_topic_created": {"name": name, "icon_color": color}}
        if icon_custom_emoji_id:
            content["forum_topic_created"]["icon_custom_emoji_id"] = icon_custom_emoji_id
        thread_id = chat.next_message_id
        topic = Topic(thread_id=thread_id, name=name, icon_color=color, icon_custom_emoji_id=icon_custom_emoji_id)
        chat.topics[thread_id] = topic
        await self.post(chat, creator, content, thread_id=thread_id)
        await self.emit("chat", chat_id=chat.id, chat=self.chat_state(chat))
        return topic

    async def migrate(self, chat: Chat) -> Chat:
        if chat.type != "group" or chat.migrated_to:
            raise ControlError("only basic groups that were not migrated yet can be upgraded")
        n = next(self._group_ids)
        new = Chat(
            id=-(1_000_000_000_000 + n),
            type="supergroup",
            title=chat.title,
            chat_instance=self._chat_instance(),
            migrated_from=chat.id,
        )
        new.members = dict(chat.members)
        self.chats[new.id] = new
        chat.migrated_to = new.id
        actor = self._creator(chat) or self.bot
        await self.post(chat, actor, {"migrate_to_chat_id": new.id})
        await self.post(new, actor, {"migrate_from_chat_id": chat.id})
        await self.emit("chat", chat_id=chat.id, chat=self.chat_state(chat))
        await self.emit("chat", chat_id=new.id, chat=self.chat_state(new))
        return new

    # ---- the bot's access to chats ---------------------------------------------------------------------
    def resolve_chat(self, ref: int | str) -> Chat:
        if isinstance(ref, str):
            name = ref.lstrip("@").lower()
            for user in self.users.values():
                if user.username and user.username.lower() == name and not user.is_bot:
                    return self.private_chat(user)
            raise bad_request("chat not found")
        chat = self.chats.get(ref)
        if chat is None and ref in self.users and ref != self.bot.id:
            chat = self.private_chat(self.users[ref])
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def writable_chat(self, ref: int | str) -> Chat:
        """The chat the bot wants to write to, or the error Telegram gives for it."""
        chat = self.resolve_chat(ref)
        self.check_bot_access(chat)
        return chat

    def check_bot_access(self, chat: Chat) -> None:
        if chat.type == "private":
            user = self.users[chat.id]
            if user.blocked_bot:
                raise forbidden("bot was blocked by the user")
            if not user.started:
                raise forbidden("bot can't initiate conversation with a user")
            return
        if chat.migrated_to:
            raise bad_request("group chat was upgraded to a supergroup chat", {"migrate_to_chat_id": chat.migrated_to})
        status = self.status(chat, self.bot.id)
        kind = "group" if chat.type == "group" else "supergroup"
        if status == "kicked":
            raise forbidden(f"bot was kicked from the {kind} chat")
        if status not in PRESENT_STATUSES:
            raise forbidden(f"bot is not a member of the {kind} chat")

    def bot_is_admin(self, chat: Chat) -> bool:
        return chat.type == "private" or self.status(chat, self.bot.id) in ("administrator", "creator")

    def message(self, chat: Chat, message_id: int | None) -> StoredMessage | None:
        if message_id is None:
            return None
        stored = chat.messages.get(message_id)
        if stored is None or stored.deleted:
            return None
        return stored

    # ---- posting ---------------------------------------------------------------------------------------
    async def post(
        self,
        chat: Chat,
        sender: User,
        content: JSON,
        *,
        thread_id: int | None = None,
        reply_to: StoredMessage | None = None,
        reply_markup: JSON | None = None,
        invoice: InvoiceInfo | None = None,
        deliver: bool = True,
    ) -> StoredMessage:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        data: JSON = {"message_id": message_id, "from": user_json(sender), "chat": self.chat_json(chat), "date": now()}
        if thread_id is not None and chat.is_forum:
            data["message_thread_id"] = thread_id
            data["is_topic_message"] = True
            root = chat.messages.get(thread_id)
            if reply_to is None and root is not None and root.message_id != message_id:
                data["reply_to_message"] = shallow_reply(root.data)
        if reply_to is not None:
            data["reply_to_message"] = shallow_reply(reply_to.data)
        data.update(content)
        if reply_markup and "inline_keyboard" in reply_markup:
            data["reply_markup"] = reply_markup
        stored = StoredMessage(
            chat_id=chat.id,
            message_id=message_id,
            data=data,
            from_bot=sender.id == self.bot.id,
            sender_id=sender.id,
            thread_id=thread_id if chat.is_forum else None,
            invoice=invoice,
        )
        chat.messages[message_id] = stored
        if reply_markup and "inline_keyboard" not in reply_markup:
            stored.keyboard = reply_markup
        if stored.from_bot and reply_markup:
            if "keyboard" in reply_markup:
                chat.reply_keyboard = reply_markup
            elif reply_markup.get("remove_keyboard"):
                chat.reply_keyboard = None
        if chat.type == "private" and not stored.from_bot:
            self.users[chat.id].started = True
        await self.emit("invoice" if invoice else "message", chat_id=chat.id, message=self.view(stored))
        if deliver and self.bot_sees(chat, stored):
            await self.queue.push("message", data)
        return stored

    def bot_sees(self, chat: Chat, stored: StoredMessage) -> bool:
        """Privacy mode: in groups a non-admin bot gets commands, replies to it, mentions and service messages."""
        if stored.from_bot:
            return False
        if chat.type == "private":
            return not self.users[chat.id].blocked_bot
        if chat.migrated_to and "migrate_to_chat_id" not in stored.data:
            return False
        status = self.status(chat, self.bot.id)
        if status not in PRESENT_STATUSES:
            return False
        if status in ("administrator", "creator"):
            return True
        data = stored.data
        if SERVICE_FIELDS & data.keys():
            return True
        text: str = data.get("text") or data.get("caption") or ""
        username = (self.bot.username or "").lower()
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            return "@" not in command or command.split("@", 1)[1].lower() == username
        if username and f"@{username}" in text.lower():
            return True
        reply = data.get("reply_to_message")
        if reply and reply.get("from", {}).get("id") == self.bot.id and reply.get("message_id") != stored.thread_id:
            return True
        return bool(data.get("via_bot", {}).get("id") == self.bot.id)

    # ---- views and events ------------------------------------------------------------------------------
    def view(self, stored: StoredMessage) -> JSON:
        """The message as the web page and the client see it: Telegram JSON plus a few display flags."""
        data = dict(stored.data)
        chat = self.chats.get(stored.chat_id)
        data["edited"] = stored.edited
        data["pinned"] = bool(chat and stored.message_id in chat.pinned)
        data["from_bot"] = stored.from_bot
        # the reply keyboard this message brought up (a removal or force_reply is not a keyboard to show)
        keyboard = stored.keyboard
        data["reply_keyboard"] = keyboard if keyboard is not None and "keyboard" in keyboard else None
        if "photo" in data:
            data["photo"] = [dict(size, url=f"/control/files/{size['file_id']}") for size in data["photo"]]
        for kind in ("document", "sticker", "voice"):
            if kind in data:
                data[kind] = dict(data[kind], url=f"/control/files/{data[kind]['file_id']}")
        if stored.invoice is not None:
            data["invoice"] = dict(
                data.get("invoice", {}), payload=stored.invoice.payload, prices=stored.invoice.prices
            )
        return data

    def chat_state(self, chat: Chat) -> JSON:
        members: list[JSON] = [
            {"user": user_json(self.users[uid]), "status": status}
            for uid, status in chat.members.items()
            if uid in self.users
        ]
        state: JSON = {
            **self.chat_json(chat),
            "members": members,
            "admins": [m["user"]["id"] for m in members if m["status"] in ("administrator", "creator")],
            "topics": [
                {"message_thread_id": t.thread_id, "name": t.name, "icon_color": t.icon_color, "closed": t.closed}
                for t in chat.topics.values()
            ],
        }
        if chat.migrated_to:
            state["migrated_to"] = chat.migrated_to
        if chat.migrated_from:
            state["migrated_from"] = chat.migrated_from
        if chat.reply_keyboard:
            state["reply_keyboard"] = chat.reply_keyboard
        return state

    async def emit(self, kind: str, **data: Any) -> None:
        event = {"seq": len(self.events) + 1, "type": kind, **data}
        self.events.append(event)
        async with self._events_changed:
            self._events_changed.notify_all()

    @property
    def event_seq(self) -> int:
        """Number of the last event; it restarts after a reset."""
        return len(self.events)

    async def events_since(self, since: int, timeout: float) -> list[JSON]:
        self.event_polls_received += 1
        if since > len(self.events):
            # the caller counted events from before a reset: waiting would only time out, answer now
            return []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self._events_changed:
            while len(self.events) <= since:
                left = deadline - loop.time()
                if left <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._events_changed.wait(), left)
        return self.events[since:]

    def record_call(
        self, method: str, params: JSON, ok: bool, result: Any = None, error: ApiError | None = None
    ) -> None:
        self._call_seq += 1
        entry: JSON = {"seq": self._call_seq, "method": method, "params": params, "ok": ok}
        if ok:
            entry["result"] = result
        elif error is not None:
            entry["error"] = {"error_code": error.code, "description": error.description}
            if error.parameters:
                entry["error"]["parameters"] = error.parameters
            self.errors.append(
                {"seq": self._call_seq, "method": method, "params": params_summary(params), **entry["error"]}
            )
        self.calls.append(entry)

    def error_responses(self, since: int = 0) -> list[JSON]:
        """Error answers sent to the bot (method, params summary, error_code, description), oldest first;
        `since` is a call seq: only errors from later calls."""
        return [e for e in self.errors if e["seq"] > since]

    @property
    def call_seq(self) -> int:
        return self._call_seq

    def unanswered_callbacks(self) -> list[CallbackRecord]:
        """Callback queries the bot never answered in time (a late answer is refused, so it counts here)."""
        return [r for r in self.callbacks.values() if not r.answered]

    def unanswered_pre_checkouts(self) -> list[PreCheckoutRecord]:
        return [r for r in self.pre_checkouts.values() if not r.answer.done()]


SUMMARY_FIELDS = (
    "chat_id",
    "message_id",
    "inline_message_id",
    "callback_query_id",
    "pre_checkout_query_id",
    "inline_query_id",
    "user_id",
    "from_chat_id",
    "message_thread_id",
    "text",
    "caption",
    "show_alert",
    "ok",
    "error_message",
    "payload",
    "currency",
    "action",
)
SUMMARY_TEXT = 120


def params_summary(params: JSON) -> JSON:
    """The parameters that say which chat, message or query a call was about, texts cut short."""
    summary: JSON = {}
    for key in SUMMARY_FIELDS:
        if key not in params:
            continue
        value = params[key]
        if isinstance(value, str) and len(value) > SUMMARY_TEXT:
            value = f"{value[:SUMMARY_TEXT]}… ({len(value)} chars)"
        summary[key] = value
    if "reply_markup" in params:
        summary["reply_markup"] = (
            "inline_keyboard"
            if isinstance(params["reply_markup"], dict) and "inline_keyboard" in params["reply_markup"]
            else "other"
        )
    return summary
