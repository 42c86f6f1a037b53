"""The stored languages, on SQLite and PostgreSQL: a group's language (first one kept, an admin's choice
replaces it, it follows a group -> supergroup move) and a shopper's conversation language (follows what they
write until they choose one with /language)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.chat_language import spoken_language
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


async def test_conversation_language_holds_for_a_while_and_an_explicit_choice_wins(any_db: Database) -> None:
    await make_users(any_db, [31])  # their app speaks English
    start = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    said = await users.set_conversation_language(any_db, 31, "zh", now=start)
    assert said is not None and said.language == "zh" and said.until == start + users.CONVERSATION_WINDOW

    async def current(at: datetime) -> str:
        user = await users.get_user(any_db, 31)
        assert user is not None
        return users.current_language(user, at)

    assert await current(start + timedelta(minutes=29)) == "zh"
    assert await current(start + timedelta(minutes=31)) == "en", "one Chinese message does not switch for good"
    user = await users.get_user(any_db, 31)
    assert user is not None and user.language == "en" and users.support_language(user) == "zh", (
        "support keeps talking in the language the shopper wrote in, however long the agent took"
    )
    # Writing their own language again ends the conversation language at once.
    back = await users.set_conversation_language(any_db, 31, "en", now=start + timedelta(minutes=1))
    assert back is not None and back.language == "en" and back.until is None
    assert await current(start + timedelta(minutes=2)) == "en"
    user = await users.get_user(any_db, 31)
    assert user is not None and users.support_language(user) == "en"

    assert await users.set_conversation_language(any_db, 31, "de") is None, "not a language we speak"
    assert await users.set_conversation_language(any_db, 999, "zh") is None, "unknown user"
    await users.set_language(any_db, 31, "en")  # /language
    chosen = await users.set_conversation_language(any_db, 31, "zh", now=start)
    assert chosen is not None and chosen.language == "en", "an explicit choice wins"
    assert await current(start + timedelta(minutes=1)) == "en"
    user = await users.get_user(any_db, 31)
    assert user is not None and users.support_language(user) == "en"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("运费多少钱？", "zh"),
        ("我要买 iPhone", "zh"),
        ("我的order在哪里", "zh"),
        ("do you have 乌龙茶 in stock?", "en"),
        ("where is my 订单", "en"),
        ("how much is delivery", "en"),
        ("iPhone", None),
        ("12345 !!", None),
        ("好", "zh"),
    ],
)
def test_spoken_language_goes_by_the_bulk_of_the_message(text: str, expected: str | None) -> None:
    assert spoken_language(text) == expected
