"""The language of a group's shared messages (catalog card, group-buy card, flash-sale card).

Also the language of a private conversation: a shopper who writes in another language than their current
one (and never chose one with /language) gets the conversation in the language they write.

A shared message is read by everyone in the group, so it is drawn in the group's language whoever tapped it;
the toast answering a tap is personal and stays in the tapper's language. A group's language is the language
of whoever added the bot, until a group admin picks one with /language there; without either it is the shop's
default language.
"""

from __future__ import annotations

import re
import time

from bot.context import AppContext
from bot.middlewares import UserContextMiddleware
from store import users
from store.models import utcnow

# Another process may change a group's language (an admin's /language): a short life keeps this one in step.
TTL_SECONDS = 60.0
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


class GroupLanguages:
    """Each group's language as last read from the database, kept for TTL_SECONDS."""

    def __init__(self) -> None:
        self.cache: dict[int, tuple[str, float]] = {}


def _cache(ctx: AppContext) -> dict[int, tuple[str, float]]:
    return ctx.group_languages.cache


async def group_language(ctx: AppContext, chat_id: int) -> str:
    cached = _cache(ctx).get(chat_id)
    now = time.monotonic()
    if cached is not None and now - cached[1] < TTL_SECONDS:
        return cached[0]
    lang = await users.chat_language(ctx.db, chat_id) or ctx.settings.shop.default_language
    _cache(ctx)[chat_id] = (lang, now)
    return lang


async def set_group_language(ctx: AppContext, chat_id: int, lang: str, *, only_if_unset: bool = False) -> bool:
    changed = await users.set_chat_language(ctx.db, chat_id, lang, only_if_unset=only_if_unset)
    _cache(ctx).pop(chat_id, None)
    return changed


def spoken_language(text: str) -> str | None:
    """The language a message is mostly written in, when its script says so clearly. Chinese characters
    against Latin words, one for one: "我要买 iPhone" is Chinese, "do you have 乌龙茶 in stock" is English;
    Latin letters need at least two words (a lone brand name says little)."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    if cjk and cjk >= latin:
        return "zh"
    if latin >= 2 and latin > cjk:
        return "en"
    return None


async def follow_conversation(
    ctx: AppContext, user_id: int, text: str, lang: str, user_context: UserContextMiddleware | None
) -> str:
    """A shopper who writes in a language other than their own (and never chose one with /language) gets
    the conversation in it: this reply, its buttons, follow-ups and support's messages. Menus follow it for a
    while (store.users.CONVERSATION_WINDOW) and then return to the shopper's own language; writing their own
    language again returns at once. Returns the conversation's language now."""
    spoken = spoken_language(text)
    if spoken is None:
        return lang
    now = utcnow()
    result = await users.set_conversation_language(ctx.db, user_id, spoken, now=now)
    if result is None:
        return lang
    if user_context is not None and result.language != lang:
        user_context.remember_language(user_id, result.language, until=result.until)
    return result.language
