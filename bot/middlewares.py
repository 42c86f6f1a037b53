"""Per-update context: the user's row and language, a translator, and the app context."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User

from bot.callbacks.orders import PrivacyCB
from bot.context import AppContext
from bot.flash_lane import is_flash_tap
from bot.i18n import Translator, language_from_telegram
from bot.user_rows import user_rows_for
from store import reachability, users
from store.models import utcnow

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

# Re-writing a known user on every update would put a write on the hot path (a flash sale is a storm of taps);
# refresh the row only when something changed or every few minutes.
_REFRESH_SECONDS = 600
_CACHE_SIZE = 50_000


@dataclass(frozen=True, slots=True)
class _KnownUser:
    """What this process remembers of a user between refreshes of their row."""

    language: str
    first_name: str
    username: str | None
    cached_at: float  # time.monotonic()
    # A conversation language (store.users.CONVERSATION_WINDOW) ends on the shop's clock, not the cache's.
    language_until: datetime | None
    # Erased by /forgetme and not back yet: their next returning update goes to the database (the only extra write,
    # and only for them; everyone else stays on the cache).
    erased: bool = False

    def still_good(self, tg_user: User, now: float) -> bool:
        return (
            self.first_name == tg_user.first_name
            and self.username == tg_user.username
            and now - self.cached_at < _REFRESH_SECONDS
            and (self.language_until is None or utcnow() < self.language_until)
        )


class UserContextMiddleware(BaseMiddleware):
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._known: OrderedDict[int, _KnownUser] = OrderedDict()

    def forget(self, user_id: int) -> None:
        self._known.pop(user_id, None)

    def remember_language(self, user_id: int, lang: str, *, until: datetime | None = None) -> None:
        cached = self._known.get(user_id)
        if cached is not None:
            self._known[user_id] = replace(cached, language=lang, language_until=until)

    async def _language(self, tg_user: User, reachable: bool, returning: bool) -> str:
        now = time.monotonic()
        cached = self._known.get(tg_user.id)
        if cached is not None and cached.still_good(tg_user, now) and not (returning and cached.erased):
            self._known.move_to_end(tg_user.id)
            if reachable and reachability.known_unreachable(tg_user.id):
                # Only here is a write worth it: the user was marked unreachable and is back in their chat.
                await users.mark_reachable(self.ctx.db, tg_user.id)
            return cached.language
        info = await users.ensure_user(
            self.ctx.db,
            tg_user.id,
            tg_user.first_name,
            tg_user.last_name,
            tg_user.username,
            language_from_telegram(tg_user.language_code, self.ctx.settings.shop.default_language),
            reachable=reachable,
            returning=returning,
        )
        self._known[tg_user.id] = _KnownUser(
            info.language, tg_user.first_name, tg_user.username, now, info.language_until, info.erased
        )
        if len(self._known) > _CACHE_SIZE:
            self._known.popitem(last=False)
        return info.language

    def _seen(self, tg_user: User, reachable: bool) -> users.NewUser:
        lang = language_from_telegram(tg_user.language_code, self.ctx.settings.shop.default_language)
        return users.NewUser(tg_user.id, tg_user.first_name, tg_user.last_name, tg_user.username, lang, reachable)

    def storm_language(self, tg_user: User, reachable: bool = True) -> str:
        """A flash tap's language without a round trip: what this process knows, else what Telegram says.
        An unknown tapper's row is queued for a batched upsert (bot/user_rows.py) instead of written first."""
        cached = self._known.get(tg_user.id)
        if cached is not None:
            return cached.language
        seen = self._seen(tg_user, reachable)
        user_rows_for(self.ctx).add(seen)
        return seen.language

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        tg_user: User | None = data.get("event_from_user")
        lang = self.ctx.settings.shop.default_language
        if tg_user is not None and not tg_user.is_bot and is_flash_tap(event):
            lang = self.storm_language(tg_user, proves_reachable(event))
            if proves_reachable(event) and reachability.known_unreachable(tg_user.id):
                # A subscriber tapping in their private chat is back: their "you got it" must not stay parked.
                await users.mark_reachable(self.ctx.db, tg_user.id)
        elif tg_user is not None and not tg_user.is_bot:
            reachable = proves_reachable(event)
            returning = reachable and not is_privacy(event)
            # /start is where a returning user lands (often through a deep link); another process may have marked
            # or erased them, which this process's memory cannot know. A read, and a write only then. (A user not
            # in memory is read and refreshed by _language anyway.)
            if (
                reachable
                and is_start(event)
                and tg_user.id in self._known
                and await users.back_in_private(self.ctx.db, self._seen(tg_user, reachable), returning=returning)
            ):
                self.forget(tg_user.id)  # their name or language may have changed with the row
            lang = await self._language(tg_user, reachable, returning)
        data["ctx"] = self.ctx
        data["lang"] = lang
        data["_"] = Translator(lang)
        data["user_context"] = self
        return await handler(event, data)


def proves_reachable(event: TelegramObject) -> bool:
    """Whether the update shows the bot may write to its sender: it comes from their private chat with the bot
    (a group tap does not; a shopper who never started the bot still taps there), or they unblocked it."""
    if not isinstance(event, Update):
        return False
    message = event.message or event.edited_message
    if message is not None:
        return message.chat.type == "private"
    query = event.callback_query
    if query is not None:
        return query.message is not None and query.message.chat.type == "private"
    member = event.my_chat_member
    if member is not None:
        return member.chat.type == "private" and member.new_chat_member.status == "member"
    return False


# /mydata and /forgetme (typed, from a group's deep link, or the erase/keep buttons) look at the shopper's data;
# they must not bring an erased shopper back, or checking that /forgetme worked would undo it.
_PRIVACY_COMMANDS = ("/mydata", "/forgetme")
# The group's deep links (bot.views.orders.PERSONAL_PREFIX; a test holds the two in step).
PRIVACY_LINKS = ("my_mydata", "my_forgetme")


def is_privacy(event: TelegramObject) -> bool:
    if not isinstance(event, Update):
        return False
    if event.callback_query is not None:
        return (event.callback_query.data or "").startswith(f"{PrivacyCB.__prefix__}:")
    message = event.message
    if message is None or not message.text:
        return False
    words = message.text.split(maxsplit=1)
    command = words[0].split("@", 1)[0].lower()
    if command in _PRIVACY_COMMANDS:
        return True
    return command == "/start" and len(words) > 1 and words[1].startswith(PRIVACY_LINKS)


def is_start(event: TelegramObject) -> bool:
    return isinstance(event, Update) and event.message is not None and (event.message.text or "").startswith("/start")
