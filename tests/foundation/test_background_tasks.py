"""cancel_and_wait: the helper's cancellation is swallowed, the caller's own is not (a shutdown that arrives
while a batch waits for its lease renewer must still stop the outbox loop; with `suppress(CancelledError)` it
was lost and the loop, and whatever stopped it, waited forever)."""

from __future__ import annotations

import asyncio

import pytest

from bot.background_tasks import cancel_and_wait


async def _slow_to_stop(stopping: asyncio.Event) -> None:
    """A helper whose clean-up takes a moment, as a renewer in the middle of a database write does."""
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        stopping.set()
        await asyncio.sleep(0.2)
        raise


async def test_the_helpers_cancellation_is_swallowed() -> None:
    stopping = asyncio.Event()
    helper = asyncio.create_task(_slow_to_stop(stopping))
    await asyncio.sleep(0)
    await cancel_and_wait(helper)  # returns normally
    assert helper.cancelled() and stopping.is_set()


async def test_a_loop_cancelled_while_it_stops_its_helper_ends() -> None:
    """The outbox's shape: a loop whose every pass starts a helper and stops it in `finally`."""
    passes = 0
    stopping = asyncio.Event()

    async def loop() -> None:
        nonlocal passes
        while True:
            passes += 1
            helper = asyncio.create_task(_slow_to_stop(stopping))
            try:
                await asyncio.sleep(0)
            finally:
                await cancel_and_wait(helper)

    runner = asyncio.create_task(loop())
    await asyncio.wait_for(stopping.wait(), timeout=5)  # the loop now waits for its helper to stop
    runner.cancel()  # the shutdown arrives just then
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(runner, timeout=5)
    assert passes == 1


async def test_the_old_pattern_loses_the_callers_cancellation() -> None:
    """Why the helper exists: with suppress(CancelledError) the same loop runs on after its cancel."""
    import contextlib

    passes = 0
    stopping = asyncio.Event()

    async def loop() -> None:
        nonlocal passes
        while passes < 3:
            passes += 1
            stopping.clear()
            helper = asyncio.create_task(_slow_to_stop(stopping))
            try:
                await asyncio.sleep(0)
            finally:
                helper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await helper

    runner = asyncio.create_task(loop())
    await asyncio.wait_for(stopping.wait(), timeout=5)
    runner.cancel()
    await asyncio.wait_for(runner, timeout=5)  # no CancelledError: the cancel was swallowed
    assert passes == 3
