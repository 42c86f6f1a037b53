"""Property: whatever a shopper sends as search words (1-4,096 characters of Latin, Chinese, emoji, right-to-left
scripts, control characters, HTML-ish `<>&`), the real bot answers with results or "nothing found", in valid
HTML, and every button's callback_data fits Telegram's 64 bytes; tapping those buttons works the same way.

The whole app (`bot.app.create_app`: middlewares, FSM storage, routers, handlers, views, store) runs on a seeded
SQLite store; its Bot API calls go to an in-memory recorder, so one example costs milliseconds and hypothesis
can try hundreds.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, TelegramMethod
from aiogram.types import InlineKeyboardMarkup, Update
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks._stub import BOT_USERNAME, TOKEN, StubSession, Updates, stub_bot
from bot.app import App, create_app
from bot.callbacks.search import PREFIX
from bot.emulator.entities import parse_html
from bot.emulator.rules import CALLBACK_DATA_LIMIT
from store import migrations, seed
from store.db import Database
from tests.conftest import make_test_settings

TEXT_LIMIT = 4096


class Recorder(StubSession):
    """The stub Bot API, keeping every message the bot sends or edits."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[SendMessage | EditMessageText] = []
        self.answers: list[AnswerCallbackQuery] = []

    async def make_request(self, bot: Any, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        if isinstance(method, SendMessage | EditMessageText):
            self.sent.append(method)
        if isinstance(method, AnswerCallbackQuery):
            self.answers.append(method)
        return await super().make_request(bot, method, timeout)


class Harness:
    def __init__(self, loop: asyncio.AbstractEventLoop, app: App, recorder: Recorder) -> None:
        self.loop = loop
        self.app = app
        self.recorder = recorder
        self.updates = Updates()
        self.users = itertools.count(70_000_000)

    def feed(self, update: Update) -> list[SendMessage | EditMessageText]:
        self.recorder.sent.clear()
        self.recorder.answers.clear()
        self.loop.run_until_complete(self.app.dp.feed_update(self.app.bot, update))
        return list(self.recorder.sent)


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    loop = asyncio.new_event_loop()
    folder: Path = tmp_path_factory.mktemp("search-property")

    async def start() -> tuple[App, Recorder, Database]:
        db = Database(f"sqlite+aiosqlite:///{folder / 'shop.db'}")
        await migrations.upgrade(db)
        await seed.seed_demo_catalog(db)
        settings = make_test_settings(telegram={"bot_username": BOT_USERNAME})
        recorder = Recorder()
        bot, _ = stub_bot(recorder)
        app = await create_app(settings, TOKEN, db=db, migrate=False, bot=bot)
        return app, recorder, db

    app, recorder, db = loop.run_until_complete(start())
    try:
        yield Harness(loop, app, recorder)
    finally:
        loop.run_until_complete(app.close())
        loop.run_until_complete(db.dispose())
        loop.close()


def _chars(low: int, high: int) -> st.SearchStrategy[str]:
    return st.characters(min_codepoint=low, max_codepoint=high, exclude_categories=("Cs",))


ALPHABETS = {
    "latin": st.characters(min_codepoint=0x20, max_codepoint=0x24F, exclude_categories=("Cs",)),
    "cjk": _chars(0x4E00, 0x9FFF),
    "emoji": _chars(0x1F300, 0x1FAFF),
    "rtl": st.one_of(_chars(0x0590, 0x05FF), _chars(0x0600, 0x06FF)),
    "control": st.one_of(_chars(0x00, 0x1F), _chars(0x7F, 0x9F), st.sampled_from("\u200b\u200e\u200f\u202e\ufeff")),
    "html": st.sampled_from([*"<>&\"'/=;#ab ", "<b>", "</b>", "&amp;", '<a href="javascript:x">', "*_["]),
    "any": st.characters(exclude_categories=("Cs",)),
}


def _fits_words(text: str) -> bool:
    # Telegram delivers no empty message, and text starting with "/" is a command, not an answer.
    return bool(text.strip()) and not text.startswith("/")


def _long(piece: str, size: int) -> str:
    return (piece * (size // len(piece) + 1))[:size]


def query_texts() -> st.SearchStrategy[str]:
    mixed = st.lists(st.sampled_from(list(ALPHABETS.values())), min_size=1, max_size=3).flatmap(
        lambda parts: st.lists(st.one_of(*parts), min_size=1, max_size=300).map("".join)
    )
    # Hypothesis draws short texts cheaply; long pastes are a drawn piece repeated to a drawn length.
    long = st.builds(_long, mixed, st.integers(1, TEXT_LIMIT))
    words = st.sampled_from(["tea", "apple", "苹果", "绿茶", "durian", "coffee <30", "20-50", "<1000"])
    with_words = st.builds(lambda a, w, b: (a + " " + w + " " + b)[:TEXT_LIMIT], mixed, words, mixed)
    return st.one_of(mixed, long, with_words).filter(_fits_words)


def _check_message(method: SendMessage | EditMessageText) -> list[str]:
    """The message is valid Telegram HTML within the size limit and its buttons fit; its search buttons' data."""
    plain, _entities = parse_html(method.text)  # raises like Telegram's "can't parse entities"
    assert 1 <= len(plain) <= TEXT_LIMIT
    assert "something went wrong" not in plain.lower()
    search_buttons = []
    markup = method.reply_markup
    if isinstance(markup, InlineKeyboardMarkup):
        for row in markup.inline_keyboard:
            for button in row:
                if button.callback_data is not None:
                    assert 1 <= len(button.callback_data.encode()) <= CALLBACK_DATA_LIMIT, button.callback_data
                    if button.callback_data.startswith(PREFIX + ":"):
                        search_buttons.append(button.callback_data)
    return search_buttons


def _is_answer(method: SendMessage | EditMessageText) -> bool:
    plain, _ = parse_html(method.text)
    # "Nothing under ¥30 matches coffee": a typed price bound is named.
    return plain.startswith("🔎") or plain.startswith("Nothing found for") or plain.startswith("Nothing ")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=query_texts())
def test_any_words_give_results_or_nothing_found(harness: Harness, text: str) -> None:
    user = next(harness.users)
    asked = harness.feed(harness.updates.message(user, "/search"))
    assert len(asked) == 1 and "What are you looking for?" in asked[0].text
    answers = harness.feed(harness.updates.message(user, text))
    assert len(answers) == 1, [a.text for a in answers]
    assert _is_answer(answers[0]), answers[0].text
    buttons = _check_message(answers[0])
    # Tap the first and the last search button (a sort, a page, a filter or the suggested spelling).
    for data in {*buttons[:1], *buttons[-1:]}:
        edits = harness.feed(harness.updates.callback(user, data, message_text=answers[0].text))
        assert len(edits) == 1 and _is_answer(edits[0]), [e.text for e in edits]
        _check_message(edits[0])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=query_texts().filter(lambda s: len(s) <= TEXT_LIMIT - len("/search ")))
def test_search_command_with_any_words(harness: Harness, text: str) -> None:
    """`/search <words>` (the command shares the 4,096-character message with its words)."""
    answers = harness.feed(harness.updates.message(next(harness.users), "/search " + text))
    assert len(answers) == 1
    if text.strip():
        assert _is_answer(answers[0]), answers[0].text
    _check_message(answers[0])


@pytest.mark.parametrize("data", ["sq:tea:pd:2::100:5000", "sq:~a1b2c3d4e5f6:r:0:::", "sq:nosuchid:3", "sq:x:99"])
def test_old_and_unknown_search_buttons_ask_to_search_again(harness: Harness, data: str) -> None:
    """Buttons drawn before the words moved server-side, and ids that never existed or expired."""
    sent = harness.feed(harness.updates.callback(next(harness.users), data))
    assert sent == []
    [answer] = harness.recorder.answers
    assert answer.show_alert and answer.text == "This search has expired. Please search again."
