"""The count of updates taken and not yet handled: the runner waits for it on shutdown, the sandbox's
emulator treats a busy bot as not settled."""

from __future__ import annotations

import asyncio

import pytest

from bot.in_flight import InFlight


async def test_counts_from_the_moment_an_update_is_taken_until_it_is_handled() -> None:
    flight = InFlight()
    release = asyncio.Event()
    woken: list[int] = []

    async def listener() -> None:
        woken.append(flight.count)

    flight.on_idle.append(listener)

    async def handle() -> str:
        await release.wait()
        return "done"

    handling = flight.track(handle())
    assert flight.busy and flight.count == 1, "taken before its task has even started"
    task = asyncio.create_task(handling)
    assert not await flight.wait_idle(0.01)
    release.set()
    assert await task == "done"
    assert not flight.busy and woken == [0]
    assert await flight.wait_idle(0)


async def test_a_failing_update_still_counts_as_finished() -> None:
    flight = InFlight()

    async def boom() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await flight.track(boom())
    assert flight.count == 0


async def test_shutdown_waits_for_the_updates_in_flight() -> None:
    flight = InFlight()
    finished: list[int] = []

    async def handle(n: int) -> None:
        for _ in range(n):
            await asyncio.sleep(0)
        finished.append(n)

    tasks = [asyncio.create_task(flight.track(handle(n))) for n in (3, 10, 30)]
    assert await flight.wait_idle(10)
    assert sorted(finished) == [3, 10, 30]
    await asyncio.gather(*tasks)
