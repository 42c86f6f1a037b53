"""Async client for the emulator's control API: play users, then look at what the bot did.

async with EmulatorClient(base_url) as sb:
    alice = await sb.user("Alice", lang="zh")
    await alice.send("/start")              # returns after the bot handled the update ("settled")
    m = await alice.last_message()
    await alice.tap("Add to cart")
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

JSON = dict[str, Any]


class EmulatorError(Exception):
    """The control API refused a request (unknown user, no such button, ...)."""


class SettleError(EmulatorError):
    """The bot did not confirm the updates produced by an action in time."""


@dataclass
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None
    raw: JSON = field(default_factory=dict)


@dataclass
class Document:
    file_id: str
    file_name: str | None
    mime_type: str | None
    data: bytes


@dataclass
class Toast:
    text: str | None
    show_alert: bool = False
    url: str | None = None


@dataclass
class TapResult:
    update_id: int | None
    toast: Toast | None
    url: str | None
    raw: JSON


@dataclass
class ErrorResponse:
    """One error answer the emulator gave the bot."""

    seq: int  # the call's number in the emulator's call log
    method: str
    params: JSON  # which chat, message or query it was about (texts cut short)
    error_code: int
    description: str
    parameters: JSON | None = None

    def __str__(self) -> str:
        return f"{self.method} -> {self.error_code} {self.description} {self.params}"


@dataclass
class Unanswered:
    """Queries the bot left without an answer (or answered too late, which Telegram refuses)."""

    callback_queries: list[JSON]
    pre_checkout_queries: list[JSON]

    def __bool__(self) -> bool:
        return bool(self.callback_queries or self.pre_checkout_queries)


@dataclass
class Topic:
    message_thread_id: int
    name: str


@dataclass
class MessageView:
    raw: JSON
    document: Document | None = None

    @property
    def message_id(self) -> int:
        return int(self.raw["message_id"])

    @property
    def chat_id(self) -> int:
        return int(self.raw["chat"]["id"])

    @property
    def sender_id(self) -> int | None:
        sender = self.raw.get("from")
        return int(sender["id"]) if sender else None

    @property
    def from_bot(self) -> bool:
        return bool(self.raw.get("from_bot"))

    @property
    def text(self) -> str | None:
        return self.raw.get("text")

    @property
    def caption(self) -> str | None:
        return self.raw.get("caption")

    @property
    def entities(self) -> list[JSON]:
        return list(self.raw.get("entities") or self.raw.get("caption_entities") or [])

    @property
    def buttons(self) -> list[list[Button]]:
        rows = (self.raw.get("reply_markup") or {}).get("inline_keyboard") or []
        return [[Button(b["text"], b.get("callback_data"), b.get("url"), b) for b in row] for row in rows]

    @property
    def photo(self) -> list[JSON] | None:
        return self.raw.get("photo")

    @property
    def invoice(self) -> JSON | None:
        return self.raw.get("invoice")

    @property
    def successful_payment(self) -> JSON | None:
        return self.raw.get("successful_payment")

    @property
    def pinned(self) -> bool:
        return bool(self.raw.get("pinned"))

    @property
    def edited(self) -> bool:
        return bool(self.raw.get("edited"))

    @property
    def thread_id(self) -> int | None:
        return self.raw.get("message_thread_id")

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Reply-keyboard labels this message showed (None if it did not set one)."""
        markup = self.raw.get("reply_keyboard")
        if not markup or "keyboard" not in markup:
            return None
        return [[b["text"] for b in row] for row in markup["keyboard"]]

    def button(self, label: str) -> Button:
        for row in self.buttons:
            for button in row:
                if label in button.text:
                    return button
        raise KeyError(label)


def _chat_id(chat: ChatHandle | int | None) -> int | None:
    if chat is None:
        return None
    return chat if isinstance(chat, int) else chat.id


def _thread_id(thread: Topic | int | None) -> int | None:
    if thread is None:
        return None
    return thread if isinstance(thread, int) else thread.message_thread_id


def _message_id(message: MessageView | int | None) -> int | None:
    if message is None:
        return None
    return message if isinstance(message, int) else message.message_id


class EmulatorClient:
    def __init__(
        self, base_url: str, *, settle_timeout: float = 10.0, session: aiohttp.ClientSession | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.settle_timeout = settle_timeout
        self._session = session
        self._own_session = session is None

    async def __aenter__(self) -> EmulatorClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and self._own_session:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
            self._own_session = True
        return self._session

    async def request(
        self,
        verb: str,
        path: str,
        *,
        json: JSON | None = None,
        data: Any = None,
        params: JSON | None = None,
        raw: bool = False,
    ) -> Any:
        if json is not None and "timeout" not in json and verb == "POST":
            json = {**json, "timeout": self.settle_timeout}
        clean = {k: str(v) for k, v in (params or {}).items() if v is not None}
        async with self._http().request(verb, f"{self.base_url}{path}", json=json, data=data, params=clean) as resp:
            if resp.content_type == "application/json" and not (raw and resp.status < 400):
                body = await resp.json()
            else:
                body = await resp.read()
            if resp.status >= 400:
                message = body.get("error") if isinstance(body, dict) else body
                if resp.status == 504 or (isinstance(body, dict) and body.get("settled") is False):
                    raise SettleError(body.get("settle_error") if isinstance(body, dict) else message)
                raise EmulatorError(f"{verb} {path}: {message}")
        if isinstance(body, dict) and body.get("settled") is False:
            raise SettleError(body.get("settle_error"))
        return body

    async def post(self, path: str, body: JSON) -> Any:
        return await self.request("POST", path, json={k: v for k, v in body.items() if v is not None})

    # ---- world -------------------------------------------------------------------------------------------
    async def state(self) -> JSON:
        result: JSON = await self.request("GET", "/control/state")
        return result

    async def user(
        self, name: str, lang: str | None = "en", username: str | None = None, id: int | None = None
    ) -> UserHandle:
        data = await self.post("/control/users", {"name": name, "lang": lang, "username": username, "id": id})
        return UserHandle(self, data)

    async def group(
        self,
        title: str,
        members: list[UserHandle] | None = None,
        *,
        bot_admin: bool = False,
        supergroup: bool = False,
        forum: bool = False,
        bot_member: bool = True,
    ) -> ChatHandle:
        data = await self.post(
            "/control/chats",
            {
                "type": "supergroup" if supergroup or forum else "group",
                "title": title,
                "forum": forum,
                "members": [m.id for m in members or []],
                "bot_member": bot_member,
                "bot_admin": bot_admin,
            },
        )
        return ChatHandle(self, data)

    async def settle(self, timeout: float | None = None) -> None:
        await self.request("POST", "/control/settle", json={"timeout": timeout or self.settle_timeout})

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.05) -> Any:
        """Poll `predicate` (sync or async) until it returns something truthy; raise TimeoutError otherwise."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            if loop.time() >= deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            await asyncio.sleep(interval)

    async def set_time_scale(self, scale: float) -> None:
        await self.request("POST", "/control/config", json={"time_scale": scale})

    async def set_flood_limits(self, enabled: bool) -> None:
        await self.request("POST", "/control/config", json={"flood_limits": enabled})

    async def reset(self) -> None:
        await self.request("POST", "/control/reset", json={})

    async def calls(self, method: str | None = None) -> list[JSON]:
        result: list[JSON] = await self.request("GET", "/control/calls", params={"method": method})
        return result

    async def error_responses(self, since: int = 0) -> list[ErrorResponse]:
        """Every error answer the bot got (never trimmed like `calls`); `since` is a call seq."""
        raw: list[JSON] = await self.request("GET", "/control/errors", params={"since": since})
        return [
            ErrorResponse(
                e["seq"], e["method"], e.get("params") or {}, e["error_code"], e["description"], e.get("parameters")
            )
            for e in raw
        ]

    async def unanswered(self) -> Unanswered:
        raw: JSON = await self.request("GET", "/control/unanswered")
        return Unanswered(raw["callback_queries"], raw["pre_checkout_queries"])

    async def advance_clock(self, seconds: float) -> None:
        """Let emulated time pass (flood windows, answer deadlines); with `frozen_clock` the only way it does."""
        await self.request("POST", "/control/clock", json={"advance": seconds})

    async def adopt_group(
        self, title: str, members: list[UserHandle], *, supergroup: bool = False, bot_admin: bool = False
    ) -> ChatHandle:
        """A group that has the bot although the bot never got the update saying so."""
        data = await self.post(
            "/control/chats/adopt",
            {
                "type": "supergroup" if supergroup else "group",
                "title": title,
                "members": [m.id for m in members],
                "bot_admin": bot_admin,
            },
        )
        return ChatHandle(self, data)

    async def events(self, since: int = 0, timeout: float = 0) -> list[JSON]:
        result: list[JSON] = await self.request("GET", "/control/events", params={"since": since, "timeout": timeout})
        return result

    async def download(self, file_id: str) -> bytes:
        # A file is bytes whatever its type: a JSON document (e.g. the /mydata export) must not be decoded.
        data: bytes = await self.request("GET", f"/control/files/{file_id}", raw=True)
        return data

    async def messages(
        self, chat_id: int, *, user_id: int | None = None, thread: Topic | int | None = None
    ) -> list[MessageView]:
        raw: list[JSON] = await self.request(
            "GET", f"/control/chats/{chat_id}/messages", params={"user_id": user_id, "thread_id": _thread_id(thread)}
        )
        views = []
        for item in raw:
            document = None
            if "document" in item:
                doc = item["document"]
                document = Document(
                    doc["file_id"], doc.get("file_name"), doc.get("mime_type"), await self.download(doc["file_id"])
                )
            views.append(MessageView(item, document))
        return views


class ChatHandle:
    def __init__(self, sb: EmulatorClient, data: JSON) -> None:
        self.sb = sb
        self.data = data
        self.id: int = data["id"]
        self.title: str = data.get("title", "")
        self.type: str = data["type"]

    async def create_topic(self, name: str, by: UserHandle | None = None) -> Topic:
        data = await self.sb.post(f"/control/chats/{self.id}/topics", {"name": name, "user_id": by.id if by else None})
        return Topic(data["message_thread_id"], data["name"])

    async def set_member(self, user: UserHandle | int, status: str) -> None:
        user_id = user if isinstance(user, int) else user.id
        await self.sb.post(f"/control/chats/{self.id}/members", {"user_id": user_id, "status": status})

    async def add(self, user: UserHandle) -> None:
        await self.set_member(user, "member")

    async def remove(self, user: UserHandle) -> None:
        await self.set_member(user, "left")

    async def set_bot_status(self, status: str) -> None:
        state = await self.sb.state()
        await self.set_member(int(state["bot"]["id"]), status)

    async def migrate(self) -> ChatHandle:
        data = await self.sb.post(f"/control/chats/{self.id}/migrate", {})
        return ChatHandle(self.sb, data)

    async def messages(self, thread: Topic | int | None = None) -> list[MessageView]:
        return await self.sb.messages(self.id, thread=thread)


class UserHandle:
    def __init__(self, sb: EmulatorClient, data: JSON) -> None:
        self.sb = sb
        self.data = data
        self.id: int = data["id"]
        self.name: str = " ".join(filter(None, [data.get("first_name"), data.get("last_name")]))
        self.lang: str | None = data.get("lang")
        self.username: str | None = data.get("username")

    @property
    def private_chat_id(self) -> int:
        return self.id

    def _where(
        self,
        chat: ChatHandle | int | None,
        thread: Topic | int | None = None,
        reply_to: MessageView | int | None = None,
    ) -> JSON:
        return {
            "user_id": self.id,
            "chat_id": _chat_id(chat),
            "thread_id": _thread_id(thread),
            "reply_to_message_id": _message_id(reply_to),
        }

    async def send(
        self,
        text: str,
        chat: ChatHandle | int | None = None,
        *,
        thread: Topic | int | None = None,
        reply_to: MessageView | int | None = None,
    ) -> JSON:
        result: JSON = await self.sb.post("/control/send", {**self._where(chat, thread, reply_to), "text": text})
        return result

    async def tap(
        self,
        label: str | None = None,
        *,
        row: int | None = None,
        col: int | None = None,
        message: MessageView | int | None = None,
        chat: ChatHandle | int | None = None,
    ) -> TapResult:
        data = await self.sb.post(
            "/control/tap",
            {**self._where(chat), "label": label, "row": row, "col": col, "message_id": _message_id(message)},
        )
        toast = data.get("toast")
        return TapResult(
            data.get("update_id"),
            Toast(toast.get("text"), bool(toast.get("show_alert")), toast.get("url")) if toast else None,
            data.get("url"),
            data,
        )

    async def toasts(self) -> list[Toast]:
        raw = await self.sb.request("GET", f"/control/users/{self.id}/toasts")
        return [Toast(t.get("text"), bool(t.get("show_alert"))) for t in raw]

    async def press(self, label: str, chat: ChatHandle | int | None = None) -> JSON:
        result: JSON = await self.sb.post("/control/press", {**self._where(chat), "label": label})
        return result

    async def share_contact(self, phone: str | None = None, chat: ChatHandle | int | None = None) -> JSON:
        result: JSON = await self.sb.post("/control/contact", {**self._where(chat), "phone": phone})
        return result

    async def _upload(
        self,
        kind: str,
        content: Path | str | bytes,
        *,
        filename: str | None,
        caption: str | None,
        chat: ChatHandle | int | None,
        content_type: str | None,
        thread: Topic | int | None = None,
    ) -> JSON:
        if isinstance(content, bytes):
            data = content
        else:
            path = Path(content)
            data = path.read_bytes()
            filename = filename or path.name
        form = aiohttp.FormData()
        fields = {
            **self._where(chat),
            "caption": caption,
            "thread_id": _thread_id(thread),
            "timeout": self.sb.settle_timeout,
        }
        for key, value in fields.items():
            if value is not None:
                form.add_field(key, str(value))
        form.add_field(
            "file", data, filename=filename or f"{kind}.bin", content_type=content_type or "application/octet-stream"
        )
        result: JSON = await self.sb.request("POST", f"/control/{kind}", data=form)
        return result

    async def send_photo(
        self,
        content: Path | str | bytes,
        caption: str | None = None,
        chat: ChatHandle | int | None = None,
        filename: str | None = None,
        thread: Topic | int | None = None,
    ) -> JSON:
        return await self._upload(
            "photo",
            content,
            filename=filename or "photo.jpg",
            caption=caption,
            chat=chat,
            content_type="image/jpeg",
            thread=thread,
        )

    async def send_document(
        self,
        content: Path | str | bytes,
        filename: str | None = None,
        caption: str | None = None,
        chat: ChatHandle | int | None = None,
        content_type: str | None = None,
    ) -> JSON:
        return await self._upload(
            "document", content, filename=filename, caption=caption, chat=chat, content_type=content_type
        )

    async def send_sticker(self, chat: ChatHandle | int | None = None) -> JSON:
        result: JSON = await self.sb.post("/control/sticker", self._where(chat))
        return result

    async def send_voice(self, content: bytes = b"OggS" + b"\x00" * 400, chat: ChatHandle | int | None = None) -> JSON:
        return await self._upload(
            "voice", content, filename="voice.ogg", caption=None, chat=chat, content_type="audio/ogg"
        )

    async def open_deeplink(self, payload: str) -> JSON:
        result: JSON = await self.sb.post("/control/deeplink", {"user_id": self.id, "payload": payload})
        return result

    async def inline_query(self, query: str, chat_type: str | None = None, offset: str = "") -> list[JSON]:
        results: list[JSON] = (await self.inline_answer(query, chat_type, offset)).get("results", [])
        return results

    async def inline_answer(self, query: str, chat_type: str | None = None, offset: str = "") -> JSON:
        """The bot's whole answer: results, next_offset, cache_time, is_personal (answered False if none)."""
        data: JSON = await self.sb.post(
            "/control/inline", {"user_id": self.id, "query": query, "chat_type": chat_type, "offset": offset}
        )
        return data

    async def choose_inline(self, result: JSON | str, chat: ChatHandle | int | None = None) -> JSON:
        result_id = result if isinstance(result, str) else result["id"]
        data: JSON = await self.sb.post(
            "/control/inline/choose", {"user_id": self.id, "result_id": result_id, "chat_id": _chat_id(chat)}
        )
        return data

    async def pay(
        self,
        message: MessageView | int | None = None,
        card: str = "ok",
        *,
        chat: ChatHandle | int | None = None,
        duplicate: bool = False,
        link: str | None = None,
        order_info: JSON | None = None,
    ) -> JSON:
        """`order_info` is what the payment form collects when the invoice asks for it (name, phone_number,
        email, shipping_address); by default the emulator fills in plausible values."""
        data: JSON = await self.sb.post(
            "/control/pay",
            {
                **self._where(chat),
                "message_id": _message_id(message),
                "card": card,
                "duplicate": duplicate,
                "link": link,
                "order_info": order_info,
            },
        )
        return data

    async def post(
        self, content: JSON, chat: ChatHandle | int | None = None, *, reply_to: MessageView | int | None = None
    ) -> JSON:
        """Any message content a client can send: {"location": {...}}, {"photo": True, "caption": "..."},
        {"sticker": {...}}, {"contact": {...}} ..."""
        result: JSON = await self.sb.post("/control/post", {**self._where(chat, None, reply_to), "content": content})
        return result

    async def tap_data(
        self, data: str, chat: ChatHandle | int | None = None, *, message: MessageView | int | None = None
    ) -> JSON:
        """Tap a button carrying any callback data (an old button, or one a modified client made up)."""
        result: JSON = await self.sb.post(
            "/control/tap_data", {**self._where(chat), "data": data, "message_id": _message_id(message)}
        )
        return result

    async def pre_checkout(self, currency: str, total_amount: int, payload: str) -> JSON:
        """A pre-checkout query for an invoice with these terms, whatever the shop thinks of them."""
        result: JSON = await self.sb.post(
            "/control/payments/pre_checkout",
            {"user_id": self.id, "currency": currency, "total_amount": total_amount, "payload": payload},
        )
        return result

    async def successful_payment(self, currency: str, total_amount: int, payload: str) -> JSON:
        result: JSON = await self.sb.post(
            "/control/payments/successful",
            {"user_id": self.id, "currency": currency, "total_amount": total_amount, "payload": payload},
        )
        return result

    async def block_bot(self) -> None:
        await self.sb.post("/control/block", {"user_id": self.id, "blocked": True})

    async def unblock_bot(self) -> None:
        await self.sb.post("/control/block", {"user_id": self.id, "blocked": False})

    async def messages(
        self, chat: ChatHandle | int | None = None, thread: Topic | int | None = None
    ) -> list[MessageView]:
        chat_id = _chat_id(chat) or self.id
        return await self.sb.messages(chat_id, user_id=self.id, thread=thread)

    async def bot_says(self, needle: str, chat: ChatHandle | int | None = None, timeout: float = 8.0) -> MessageView:
        """Waits for the newest bot message in that chat whose text or caption contains `needle` (a notification
        sent through the outbox arrives in the background)."""

        async def find() -> MessageView | None:
            for message in reversed(await self.messages(chat)):
                if message.from_bot and needle in (message.text or message.caption or ""):
                    return message
            return None

        found: MessageView = await self.sb.wait_for(find, timeout=timeout)
        return found

    async def last_message(
        self, chat: ChatHandle | int | None = None, thread: Topic | int | None = None
    ) -> MessageView | None:
        """The last message the bot sent in that chat (private chat by default)."""
        bot_messages = [m for m in await self.messages(chat, thread) if m.from_bot]
        return bot_messages[-1] if bot_messages else None
