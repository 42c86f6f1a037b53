"""bot.debounce.Debouncer, which both live group cards redraw through (bot/flash_cards.py: a pause before each
redraw; bot/groupbuy_cards.py: a least gap between a chat's edits, a 429 retried first): requests coalesce per
key, keys do not wait for each other, and close() drops what waits without raising. Only lower bounds on time
are asserted (the machine may be slow, never fast)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time

import pytest

from bot.debounce import Debouncer, RetryLater

PAUSE = 0.2


class Recorder:
    def __init__(self) -> None:
        self.done: list[tuple[str, int, float]] = []

    async def __call__(self, key: str, item: int) -> None:
        self.done.append((key, item, time.monotonic()))


async def test_many_requests_for_one_key_are_one_piece_of_work_after_the_pause() -> None:
    work = Recorder()
    debouncer: Debouncer[str, int] = Debouncer(work, name="test", delay=PAUSE)
    asked = time.monotonic()
    for _ in range(50):
        debouncer.request("sale", 7)
        await asyncio.sleep(0)
    assert work.done == []
    await debouncer.idle()
    assert [(key, item) for key, item, _ in work.done] == [("sale", 7)]
    assert work.done[0][2] - asked >= PAUSE * 0.95
    # Asked again later: another piece of work, again after a full pause.
    asked = time.monotonic()
    debouncer.request("sale", 7)
    await debouncer.idle()
    assert len(work.done) == 2 and work.done[1][2] - asked >= PAUSE * 0.95


async def test_a_request_during_the_work_is_done_once_more_afterwards() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    calls: list[int] = []

    async def work(key: str, item: int) -> None:
        calls.append(item)
        if len(calls) == 1:
            started.set()
            await release.wait()

    debouncer: Debouncer[str, int] = Debouncer(work, name="test")
    debouncer.request("chat", 1)
    await started.wait()
    debouncer.request("chat", 1)  # the state changed while the first redraw was drawing
    debouncer.request("chat", 1)
    release.set()
    await debouncer.idle()
    assert calls == [1, 1]


async def test_different_keys_are_independent() -> None:
    b_done = asyncio.Event()
    calls: list[str] = []

    async def work(key: str, item: int) -> None:
        calls.append(key)
        if key == "a":
            await asyncio.wait_for(b_done.wait(), timeout=10)  # "a" is busy until "b" is done: no shared queue
        else:
            b_done.set()

    debouncer: Debouncer[str, int] = Debouncer(work, name="test", delay=0.01)
    debouncer.request("a", 1)
    debouncer.request("b", 1)
    await debouncer.idle()
    assert sorted(calls) == ["a", "b"]


async def test_items_of_one_key_are_done_in_turn_a_gap_apart_and_the_first_at_once() -> None:
    work = Recorder()
    debouncer: Debouncer[str, int] = Debouncer(work, name="test", gap=PAUSE)
    for item in (1, 2, 1, 3, 2):
        debouncer.request("chat", item)
    await debouncer.idle()
    assert [item for _, item, _ in work.done] == [1, 2, 3]
    times = [at for _, _, at in work.done]
    assert all(later - earlier >= PAUSE * 0.95 for earlier, later in itertools.pairwise(times))

    # Something sent to the chat by other means: the next piece of work keeps the gap from it.
    debouncer.note("chat")
    noted = time.monotonic()
    debouncer.request("chat", 4)
    await debouncer.idle()
    assert work.done[-1][2] - noted >= PAUSE * 0.95


async def test_retry_later_puts_the_item_back_first_and_rests_the_key() -> None:
    calls: list[tuple[int, float]] = []

    async def work(key: str, item: int) -> None:
        calls.append((item, time.monotonic()))
        if len(calls) == 1:
            raise RetryLater(PAUSE)

    debouncer: Debouncer[str, int] = Debouncer(work, name="test")
    debouncer.request("chat", 1)
    debouncer.request("chat", 2)
    await debouncer.idle()
    assert [item for item, _ in calls] == [1, 1, 2]
    assert calls[1][1] - calls[0][1] >= PAUSE * 0.95


async def test_a_failure_is_logged_and_the_queue_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    async def work(key: str, item: int) -> None:
        calls.append(item)
        if item == 1:
            raise RuntimeError("boom")

    debouncer: Debouncer[str, int] = Debouncer(work, name="test")
    with caplog.at_level(logging.ERROR, logger="bot.debounce"):
        debouncer.request("chat", 1)
        debouncer.request("chat", 2)
        await debouncer.idle()
    assert calls == [1, 2]
    assert any(r.exc_info and isinstance(r.exc_info[1], RuntimeError) for r in caplog.records), caplog.records


async def test_close_drops_waiting_work_and_cancels_work_under_way_without_raising() -> None:
    work = Recorder()
    debouncer: Debouncer[str, int] = Debouncer(work, name="test", delay=PAUSE)
    debouncer.request("a", 1)
    debouncer.request("b", 2)
    await asyncio.sleep(0)
    await debouncer.close()
    await asyncio.sleep(PAUSE * 1.5)
    assert work.done == [], "nothing drawn after close"

    started = asyncio.Event()
    cancelled: list[bool] = []

    async def slow(key: str, item: int) -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    busy: Debouncer[str, int] = Debouncer(slow, name="test")
    busy.request("a", 1)
    busy.request("a", 2)  # waits behind 1: dropped
    await started.wait()
    await busy.close()  # returns promptly, raises nothing
    assert cancelled == [True]
    await busy.idle()  # nothing left to wait for

    # Usable again afterwards (a closed refresher that is asked again simply works).
    debouncer.request("a", 3)
    await debouncer.idle()
    assert [item for _, item, _ in work.done] == [3]
