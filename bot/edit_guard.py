"""Telegram refuses an edit that changes nothing (400 "message is not modified"). The bot remembers what each of
its messages shows and drops such an edit before it is sent.

What a message shows is learnt from Telegram itself: the Message returned by every send and edit, and the message
a tapped button belongs to (the tap carries the message as the shopper sees it, so a restarted process, or one of
several processes, compares against the truth). An edit is compared as Telegram compares it: plain text, the
formatting entities and the inline keyboard.

Two things make a double tap on any button draw the same screen twice, and both are handled here rather than in
each handler:
- the two taps are handled at once, so the second edit is compared while the first is still on its way; edits of
  one message therefore go out one at a time, each compared with what the previous one left;
- a tap carries the message as it was when the shopper tapped, which for the second tap of a double tap is the
  drawing from before the first tap's edit. Such a snapshot must not overwrite the newer drawing the bot has
  just been told about: it is taken only when it is not older (edit dates, and within one second, not a drawing
  this message already had before the current one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from typing import Any, cast

from aiogram import BaseMiddleware, Bot
from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import (
    DeleteMessage,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    Response,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, MessageEntity, TelegramObject

from bot.method_fields import method_field
from store.text_units import utf16_length

log = logging.getLogger(__name__)

# Entities Telegram finds by itself in any text (links, @mentions, /commands...): not part of what the bot sent.
AUTO_ENTITIES = frozenset({"mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number", "bank_card"})
HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}

Key = tuple[int | str, int | str]
EntityKey = tuple[str, int, int, str]


@dataclass(frozen=True)
class Shown:
    """What one message shows, in the terms Telegram compares edits by."""

    text: str
    entities: tuple[EntityKey, ...]
    markup: str


def _normalise(text: str, entities: list[EntityKey]) -> tuple[str, tuple[EntityKey, ...]]:
    """Telegram trims surrounding white space from a message: compare trimmed text with entities shifted."""
    lead = utf16_length(text) - utf16_length(text.lstrip())
    stripped = text.strip()
    size = utf16_length(stripped)
    kept = []
    for kind, offset, length, extra in entities:
        start = max(0, offset - lead)
        end = min(size, offset - lead + length)
        if end > start:
            kept.append((kind, start, end - start, extra))
    return stripped, tuple(sorted(kept))


class _HtmlText(HTMLParser):
    """Telegram's HTML subset to plain text and formatting entities (offsets in UTF-16 code units)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.size = 0
        self.open: list[tuple[str, int, str]] = []
        self.entities: list[EntityKey] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        kind = HTML_TAGS.get(tag)
        if tag == "span" and "tg-spoiler" in (values.get("class") or ""):
            kind = "spoiler"
        extra = ""
        if kind == "text_link":
            extra = values.get("href") or ""
        elif kind == "pre":
            extra = ""
        elif kind == "code" and self.open and self.open[-1][0] == "pre":
            # <pre><code class="language-x"> is one pre entity with a language
            language = (values.get("class") or "").removeprefix("language-")
            name, start, _ = self.open[-1]
            self.open[-1] = (name, start, language)
            kind = None
        elif kind == "custom_emoji":
            extra = values.get("emoji-id") or ""
        self.open.append((kind or "", self.size, extra))

    def handle_endtag(self, tag: str) -> None:
        if not self.open:
            return
        kind, start, extra = self.open.pop()
        if kind and self.size > start:
            self.entities.append((kind, start, self.size - start, extra))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.size += utf16_length(data)


def shown_from_html(text: str, markup: InlineKeyboardMarkup | None) -> Shown:
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    plain, entities = _normalise("".join(parser.parts), parser.entities)
    return Shown(plain, entities, markup_key(markup))


def shown_from_plain(text: str, markup: InlineKeyboardMarkup | None) -> Shown:
    plain, entities = _normalise(text, [])
    return Shown(plain, entities, markup_key(markup))


def _entity_key(entity: MessageEntity) -> EntityKey:
    extra = entity.url or entity.language or entity.custom_emoji_id or ""
    return (entity.type, entity.offset, entity.length, extra)


def shown_from_message(message: Message) -> Shown:
    text = message.text if message.text is not None else (message.caption or "")
    entities = message.entities if message.text is not None else message.caption_entities
    kept = [_entity_key(e) for e in entities or () if e.type not in AUTO_ENTITIES]
    plain, normalised = _normalise(text, kept)
    markup = message.reply_markup if isinstance(message.reply_markup, InlineKeyboardMarkup) else None
    return Shown(plain, normalised, markup_key(markup))


def markup_key(markup: Any) -> str:
    if not isinstance(markup, InlineKeyboardMarkup) or not markup.inline_keyboard:
        return ""
    # pydantic-core's own serialiser: the same key for the same keyboard, at a third of model_dump + json.dumps
    return markup.model_dump_json(exclude_none=True, exclude_defaults=True)


def _stamp(message: Message) -> int:
    """When the message got its current content, in Telegram's whole seconds (edit date, else send date)."""
    when = message.edit_date or message.date
    return int(when.timestamp()) if isinstance(when, datetime) else int(when)


@dataclass(frozen=True)
class _Known:
    shown: Shown
    stamp: int | None  # see _stamp; None when Telegram did not say (an inline message's edit answers True)
    earlier: tuple[int, ...] = ()  # hashes of the few drawings this message had before `shown`, newest first


_EARLIER_KEPT = 4


class ShownMessages:
    """A bounded memory of what the bot's recent messages show, keyed by chat and message."""

    def __init__(self, size: int = 50_000) -> None:
        self._size = size
        self._shown: OrderedDict[Key, _Known] = OrderedDict()
        self._locks: dict[Key, tuple[asyncio.Lock, int]] = {}
        self.skipped_edits = 0
        self.stale_taps = 0

    def get(self, key: Key) -> Shown | None:
        known = self._shown.get(key)
        return known.shown if known is not None else None

    def put(self, key: Key, shown: Shown, stamp: int | None = None) -> None:
        """What Telegram just said the message shows (a send's or an edit's answer): the newest there is."""
        old = self._shown.get(key)
        earlier = old.earlier if old is not None else ()
        if old is not None and old.shown != shown:
            earlier = (hash(old.shown), *earlier)[:_EARLIER_KEPT]
        self._shown[key] = _Known(shown, stamp, earlier)
        self._shown.move_to_end(key)
        if len(self._shown) > self._size:
            self._shown.popitem(last=False)

    def forget(self, key: Key) -> None:
        self._shown.pop(key, None)

    def observe(self, message: Message) -> None:
        self.put((message.chat.id, message.message_id), shown_from_message(message), _stamp(message))

    def observe_tapped(self, message: Message) -> None:
        """The message a tap came from, as it was when the shopper tapped: taken unless it is older than what
        this process was told since (the second tap of a double tap carries the drawing before the first one's
        edit). Another process's edit is newer, or at least one this message never had: that one is taken."""
        key = (message.chat.id, message.message_id)
        known = self._shown.get(key)
        shown, stamp = shown_from_message(message), _stamp(message)
        if known is not None and known.shown != shown and self._older(known, shown, stamp):
            self.stale_taps += 1
            return
        self.put(key, shown, stamp)

    @staticmethod
    def _older(known: _Known, shown: Shown, stamp: int | None) -> bool:
        if known.stamp is not None and stamp is not None and stamp != known.stamp:
            return stamp < known.stamp
        # The same second (edit dates are whole seconds) or no date: a drawing it had before is the older one.
        return hash(shown) in known.earlier

    @contextlib.asynccontextmanager
    async def editing(self, key: Key) -> AsyncIterator[None]:
        """One edit of a message at a time, so that each is compared with what the one before it left."""
        lock, holders = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, holders + 1)
        try:
            async with lock:
                yield
        finally:
            lock, holders = self._locks[key]
            if holders <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, holders - 1)


def _key(method: Any) -> Key | None:
    inline_id = method_field(method, "inline_message_id")
    if inline_id:
        return ("inline", str(inline_id))
    chat_id, message_id = method_field(method, "chat_id"), method_field(method, "message_id")
    if isinstance(chat_id, int) and isinstance(message_id, int):
        return (chat_id, message_id)
    return None


def _parse_mode(bot: Bot, value: Any) -> str | None:
    if isinstance(value, Default):
        resolved = bot.default[value.name]
        return resolved if isinstance(resolved, str) else None
    return value if isinstance(value, str) else None


def _markup(method: Any) -> InlineKeyboardMarkup | None:
    markup = method_field(method, "reply_markup")
    return markup if isinstance(markup, InlineKeyboardMarkup) else None


def wanted(bot: Bot, method: Any, current: Shown | None) -> Shown | None:
    """What the message would show after `method`; None when that cannot be told (then the edit is sent)."""
    if isinstance(method, EditMessageReplyMarkup):
        if current is None:
            return None
        return Shown(current.text, current.entities, markup_key(_markup(method)))
    if isinstance(method, EditMessageText):
        text, entities, mode = method.text, method.entities, method.parse_mode
    elif isinstance(method, EditMessageCaption):
        if method.caption is None:
            return None
        text, entities, mode = method.caption, method.caption_entities, method.parse_mode
    else:
        return None
    if entities or text is None:  # explicit entities: rare in this bot, and not worth comparing
        return None
    parse_mode = _parse_mode(bot, mode)
    if parse_mode is None:
        return shown_from_plain(text, _markup(method))
    if parse_mode.lower() != "html":
        return None
    return shown_from_html(text, _markup(method))


class EditGuard(BaseRequestMiddleware):
    """Drops edits that would change nothing and learns what each sent or edited message shows."""

    def __init__(self, shown: ShownMessages) -> None:
        self.shown = shown

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        key = _key(method)
        is_edit = isinstance(method, EditMessageText | EditMessageCaption | EditMessageReplyMarkup)
        if key is None or not is_edit:
            response = await make_request(bot, method)
            result: Any = response  # aiogram's request chain hands back the method's result itself
            if isinstance(result, Message):
                self.shown.observe(result)
            elif key is not None and isinstance(method, DeleteMessage):
                self.shown.forget(key)
            return response
        async with self.shown.editing(key):
            current = self.shown.get(key)
            after = wanted(bot, method, current)
            if after is not None and after == current:
                self.shown.skipped_edits += 1
                log.debug("edit of %s skipped: nothing would change", key)
                return cast(Response[TelegramType], True)
            try:
                response = await make_request(bot, method)
            except TelegramBadRequest as exc:
                if after is not None and "message is not modified" in exc.message:
                    self.shown.put(key, after)  # this memory was behind: Telegram says it shows that already
                raise
            result = response
            if isinstance(result, Message):
                self.shown.observe(result)
            elif after is not None and result is True:
                self.shown.put(key, after)  # inline messages: Telegram answers True, the content is what we sent
            return response


class SeenByTapMiddleware(BaseMiddleware):
    """A tap carries the message as the shopper saw it when tapping: the truest record of what it shows, unless the
    bot has edited it since (see ShownMessages.observe_tapped)."""

    def __init__(self, shown: ShownMessages) -> None:
        self.shown = shown

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, CallbackQuery) and isinstance(event.message, Message):
            self.shown.observe_tapped(event.message)
        return await handler(event, data)
