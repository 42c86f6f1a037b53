"""The stored languages, on SQLite and PostgreSQL: a group's language (first one kept, an admin's choice
replaces it, it follows a group -> supergroup move) and a shopper's conversation language (follows what they
write until they choose one with /language)."""

from __future__ import annotations

from store import users
from store.db import Database
from tests.flashsale.helpers import make_users


async def test_group_language(any_db: Database) -> None:
    await users.record_chat(any_db, -501, "group", "G", "member", False, False)
    assert await users.chat_language(any_db, -501) is None
    assert await users.set_chat_language(any_db, -501, "zh", only_if_unset=True)
    assert not await users.set_chat_language(any_db, -501, "en", only_if_unset=True), "the first one stays"
    assert await users.chat_language(any_db, -501) == "zh"
    assert await users.set_chat_language(any_db, -501, "en")  # a group admin's /language
    assert await users.chat_language(any_db, -501) == "en"
    await users.migrate_chat(any_db, -501, -100501)
    assert await users.chat_language(any_db, -100501) == "en"


async def test_conversation_language_until_an_explicit_choice(any_db: Database) -> None:
    await make_users(any_db, [31])
    assert await users.set_conversation_language(any_db, 31, "zh")
    assert not await users.set_conversation_language(any_db, 31, "zh"), "nothing changed"
    assert (await users.get_user(any_db, 31)).language == "zh"  # type: ignore[union-attr]
    assert not await users.set_conversation_language(any_db, 31, "de"), "not a language we speak"
    await users.set_language(any_db, 31, "en")  # /language
    assert not await users.set_conversation_language(any_db, 31, "zh"), "an explicit choice wins"
    assert (await users.get_user(any_db, 31)).language == "en"  # type: ignore[union-attr]
