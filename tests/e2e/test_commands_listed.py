"""Every command the handlers answer is in /help and in the bot's command menu, in English and Chinese, unless it
is deliberately unlisted (staff commands, aliases): the lists are compared with the dispatcher itself, so a new
command cannot be forgotten in one of them. The real bot against the emulator."""

from __future__ import annotations

import re
from collections.abc import Iterator

from aiogram import Router
from aiogram.filters import Command

from bot.runner import PUBLIC_COMMANDS, UNLISTED_COMMANDS
from bot.sandbox import Stack

COMMAND_IN_TEXT = re.compile(r"(?<![\\w/])/([a-z_]+)")


def _routers(router: Router) -> Iterator[Router]:
    yield router
    for sub in router.sub_routers:
        yield from _routers(sub)


def registered_commands(root: Router) -> set[str]:
    found: set[str] = set()
    for router in _routers(root):
        for handler in router.message.handlers:
            for command_filter in handler.filters or ():
                if isinstance(command_filter.callback, Command):
                    found.update(c for c in command_filter.callback.commands if isinstance(c, str))
    return found


async def _help_commands(shop: Stack, name: str, lang: str) -> set[str]:
    user = await shop.client.user(name, lang=lang)
    await user.send("/help")
    text = ((await user.last_message()) or user).text or ""  # type: ignore[union-attr]
    return set(COMMAND_IN_TEXT.findall(text))


async def test_help_and_menu_list_every_public_command_in_both_languages(shop: Stack) -> None:
    registered = registered_commands(shop.app.dp)
    assert {"wishlist", "help", "start", "admin"} <= registered, "the dispatcher walk finds the handlers"
    assert not UNLISTED_COMMANDS - registered, "an unlisted command no handler answers any more"
    public = registered - UNLISTED_COMMANDS
    assert set(PUBLIC_COMMANDS) == public

    for language_code in (None, "zh"):
        menu = {c.command for c in await shop.app.bot.get_my_commands(language_code=language_code)}
        assert menu == public, f"command menu ({language_code or 'en'}): missing {public - menu}, extra {menu - public}"
    for name, lang in (("Alice", "en"), ("李雷", "zh-hans")):
        listed = await _help_commands(shop, name, lang)
        assert listed == public, f"/help ({lang}): missing {public - listed}, extra {listed - public}"
