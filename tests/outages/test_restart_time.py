"""Issue 9 item 14: after a restart the bot answers at once, while the search index of a 20,000-product catalog
and the intent classifier are still being built in the background; search meanwhile returns sensible results
from the SQL fallback, and the full index (typo tolerance) takes over when it is ready.

Not a timing benchmark: both builds are held at a gate, so "answered while the build is provably still running"
is a fact the test controls, robust on a loaded machine. Before the change, start-up waited for the build, so
the gate's timeout passed before the first answer.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest

from benchmarks._stub import generate_catalog
from bot import nlu_service
from bot.emulator.server import EmulatorConfig
from bot.sandbox import start_stack
from store import migrations
from store.db import Database
from store.search import SearchIndex
from tests.conftest import make_test_settings
from tests.orders.helpers import last_text

CATALOG = 20_000
GATE_SECONDS = 60.0  # a safety net only: the test opens the gates itself


class Gate:
    """Holds a background build until the test opens it, and records that the build had begun."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()

    def hold(self) -> None:
        self.entered.set()
        self.opened.wait(GATE_SECONDS)

    @property
    def closed(self) -> bool:
        """While closed, a build that needs the gate cannot have finished."""
        return not self.opened.is_set()


@pytest.fixture
async def catalog_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'big.db'}"
    db = Database(url)
    await migrations.upgrade(db)
    await generate_catalog(db, CATALOG)
    await db.dispose()
    return url


@pytest.fixture
def gates(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AsyncIterator[tuple[Gate, Gate]] | Any:
    index_gate, nlu_gate = Gate(), Gate()
    real_build = SearchIndex.build.__func__  # type: ignore[attr-defined]

    def gated_build(cls: type[SearchIndex], products: Iterable[Any]) -> SearchIndex:
        products = list(products)
        if len(products) >= CATALOG:  # the full build, not the fallback's few hundred candidates
            index_gate.hold()
        result: SearchIndex = real_build(cls, products)
        return result

    real_classifier = nlu_service.build_classifier

    def gated_classifier(*args: Any, **kwargs: Any) -> Any:
        nlu_gate.hold()
        return real_classifier(*args, **kwargs)

    monkeypatch.setattr(SearchIndex, "build", classmethod(gated_build))
    monkeypatch.setattr(nlu_service, "build_classifier", gated_classifier)
    yield index_gate, nlu_gate
    index_gate.opened.set()
    nlu_gate.opened.set()


async def test_bot_answers_while_the_index_is_still_building(catalog_url: str, gates: tuple[Gate, Gate]) -> None:
    index_gate, nlu_gate = gates
    settings = make_test_settings(catalog={"search_refresh_seconds": 0})
    # As `groupcart run` does: polling starts right after prepare(), nothing waits for the builds.
    shop = await start_stack(
        settings,
        database_url=catalog_url,
        emulator_config=EmulatorConfig(flood_limits=False),
        await_warm_up=False,
    )
    try:
        engine = shop.app.ctx.search
        alice = await shop.client.user("Alice", lang="en")
        await alice.send("/start")
        welcome = await alice.last_message()
        assert welcome is not None and welcome.from_bot and welcome.buttons
        # The gate is closed, so the build cannot have finished: it is provably still running.
        assert index_gate.closed and engine.warming and engine.index is None, "answered after the index was built"
        assert nlu_gate.closed and shop.app.ctx.understanding.model is None

        tapped = await alice.tap(welcome.buttons[0][0].text, message=welcome)
        answers = await shop.client.calls("answerCallbackQuery")
        assert answers and answers[-1]["ok"], answers
        assert tapped.toast is None or "wrong" not in (tapped.toast.text or "")
        assert engine.warming and engine.index is None

        # Search during the warm-up, with the real build held at the gate: the SQL fallback finds the products
        # by their words, in both languages.
        await shop.client.wait_for(index_gate.entered.is_set, timeout=GATE_SECONDS)
        await alice.send("/search apple")
        results = await last_text(alice)
        assert "apple" in results.lower() and "1." in results, results
        assert "banana" not in results.lower()
        await alice.send("/search 苹果")
        assert "苹果" in await last_text(alice)
        assert engine.warming, "the fallback must not have waited for the index"

        index_gate.opened.set()
        nlu_gate.opened.set()
        await shop.client.wait_for(lambda: engine.index is not None, timeout=120)
        assert len(engine.index or []) == CATALOG
        # The full index is in use now: a typo is corrected, which the fallback cannot do.
        await alice.send("/search appel")
        assert "apple" in (await last_text(alice)).lower()
        await alice.send("when will my order arrive?")  # the assistant answers with the trained classifier
        assert await last_text(alice)
    finally:
        index_gate.opened.set()
        nlu_gate.opened.set()
        await shop.stop()
