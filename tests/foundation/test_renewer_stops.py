"""A lease renewer stops when it is cancelled even if the client library turns that cancellation into an error of
its own mid-call. CI saw an update's `holding` block never end (300 s timeout in
tests/scale/test_update_dedupe.py): the renewer's `except Exception: continue` took such an error for "Redis away
for a moment" and kept renewing, so `cancel_and_wait` waited for it forever. No Redis is needed: the renewal call
is replaced by one that behaves like that."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.update_guard import RedisLedger


async def _renewal_that_hides_its_cancellation(*_args: Any, **_kwargs: Any) -> int:
    try:
        await asyncio.sleep(3600)  # a call in flight when the handler finishes
    except asyncio.CancelledError as exc:
        raise ConnectionError("Connection closed by server.") from exc
    return 1


async def test_the_update_lease_renewer_stops_when_its_handler_finishes_mid_renewal() -> None:
    ledger = RedisLedger("redis://127.0.0.1:1/0", "test", lease_seconds=0.03, owner="host-a:1")
    ledger._renew = _renewal_that_hides_its_cancellation  # type: ignore[method-assign,assignment]
    ledger._in_redis.add(7)  # claimed in Redis: the holding block renews it
    try:

        async def handler() -> None:
            async with ledger.holding(7):
                await asyncio.sleep(0.1)  # the renewer is inside its renewal call by now

        await asyncio.wait_for(handler(), timeout=5)
    finally:
        await ledger.close()
    leftover = [t for t in asyncio.all_tasks() if t.get_name() == "update-lease-7"]
    assert not leftover, "the renewer is still running"
