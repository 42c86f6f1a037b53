"""The browse benchmark still runs (tiny sizes): every measured update is handled, without errors, and its crowd of
concurrent never-seen shoppers gets every request answered (and would count a failure if one happened)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import store.search
from benchmarks import browse

TINY_CROWD = browse.CrowdSpec(users=16, rounds=2, think_seconds=0.0, runs=1)
# What one shopper's round asks for (bin the next-page taps: a tiny catalogue may have one results page only).
ACTIONS = (
    "catalog (/catalog)",
    "page: a category's first page",
    "card: open from a page",
    "page: next page",
    "search: typical words",
    "search: long / Chinese words",
)


@pytest.fixture
def counted_errors() -> Iterator[None]:
    logging.getLogger().addHandler(browse.ERRORS)
    browse.ERRORS.count, browse.ERRORS.first = 0, []
    try:
        yield
    finally:
        logging.getLogger().removeHandler(browse.ERRORS)


async def test_browse_benchmark_smoke(tmp_path: Path, counted_errors: None) -> None:
    report = await browse.run_size(300, 3, tmp_path)
    text = "\n".join(report.lines)
    assert "NOT HANDLED" not in text
    assert "errors logged: 0 []" in text
    for name in ("card open (ProductCB callback)", "catalog page", "search /search typical words", "typo'd"):
        assert name in text
    assert "bare aiogram dispatch" in await browse.baseline(3)


async def test_crowd_of_new_shoppers_is_answered_without_failures(tmp_path: Path, counted_errors: None) -> None:
    report = await browse.run_size(300, 3, tmp_path, TINY_CROWD)
    (run,) = report.crowd
    assert run.failed == 0 and run.failures == {}, "\n".join(run.lines)
    assert report.failed == 0 and browse.ERRORS.count == 0
    for action in ACTIONS:
        assert action in run.answers, (action, run.answers)
    # Every request answered: each message with a sent message, each tap with exactly one answerCallbackQuery.
    assert sum(sum(kinds.values()) for kinds in run.answers.values()) == run.requests
    for action, kinds in run.answers.items():
        for kind, count in kinds.items():
            assert "FAILED" not in kind and kind != "nothing", (action, kind, count)
            if action.startswith(("catalog", "search: typical", "search: long")):
                assert "sendMessage" in kind, (action, kind)
            else:
                assert "answerCallbackQuery" in kind, (action, kind)
    # 16 shoppers x 2 rounds; the first page, the next page and both searches once a round, two cards.
    assert sum(run.answers["card: open from a page"].values()) == 2 * 16 * 2
    assert sum(run.answers["search: long / Chinese words"].values()) == 16 * 2
    assert "bare aiogram, same updates" in "\n".join(run.lines)
    assert report.peak_rss_mb > 0


async def test_crowd_counts_an_apology_as_a_failure(
    tmp_path: Path, counted_errors: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("search is broken")

    monkeypatch.setattr(store.search, "search_products", broken)
    spec = browse.CrowdSpec(users=2, rounds=1, think_seconds=0.0, runs=1)
    report = await browse.run_size(300, 1, tmp_path, spec)
    (run,) = report.crowd
    assert run.failures.get("search: typical words: APOLOGY (errors.internal)") == 2, run.failures
    assert run.failures.get("search: long / Chinese words: APOLOGY (errors.internal)") == 2, run.failures
    assert run.answers["search: typical words"] == {"sendMessage FAILED": 2}
    assert run.failed >= 4 and report.failed >= 4
