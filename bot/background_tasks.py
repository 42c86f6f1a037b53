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
