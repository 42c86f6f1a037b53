"""Stopping a helper task from the task that started it.

The usual `task.cancel(); with suppress(CancelledError): await task` has a hole: when the caller itself is
cancelled while it waits there (a shutdown arriving just then), the CancelledError it receives is suppressed too,
so the caller carries on as if nothing had happened; a loop such as the outbox's then never ends, and whatever
stops it waits forever. `cancel_and_wait` swallows only the helper's own cancellation.
"""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel `task` and wait until it has finished; a cancellation of the caller still propagates."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise


def raise_if_cancelling(exc: BaseException) -> None:
    """For the `except Exception` of a loop that runs until it is cancelled (a lease renewer): a client library that
    turned this task's cancellation into an error of its own (a Redis or database call cut short) must not keep
    the loop going, or whoever cancelled it waits forever. CI saw that as a 300 s hang of an update's lease
    renewer."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError() from exc
