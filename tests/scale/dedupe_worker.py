"""One bot process's update de-duplication, alone in its own interpreter (tests/scale/test_update_dedupe.py):
`python -m tests.scale.dedupe_worker REDIS_URL NAMESPACE COUNT`. It is handed every update id 1..COUNT (as a
second replica behind the same webhook would be), handles those its Redis claim wins and prints each handled id."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from aiogram.types import Update

from bot.update_guard import DuplicateUpdateMiddleware, RedisLedger


async def main(url: str, namespace: str, count: int) -> None:
    guard = DuplicateUpdateMiddleware(RedisLedger(url, namespace))
    handled: list[int] = []

    async def handler(event: Any, data: dict[str, Any]) -> None:
        handled.append(event.update_id)
        await asyncio.sleep(0)

    print("ready", flush=True)
    sys.stdin.readline()  # both processes start their deliveries together
    await asyncio.gather(*(guard(handler, Update(update_id=i), {}) for i in range(1, count + 1)))
    await guard.ledger.close()
    print(" ".join(map(str, handled)), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
