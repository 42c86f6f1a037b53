"""A bot process's storm path, alone in its own interpreter (tests/flashsale/test_flash_processes.py):
`python -m tests.flashsale.storm_worker URL SALE_ID FIRST_USER WAVES [--hang]`.

It taps in waves of 200 never-seen users through the memory admission gate, prints `wave N` after each wave
is committed, and with `--hang` queues one more wave, prints `queued` and waits (to be killed mid-commit)."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from bot.admission import MemoryAdmissionGate
from store.db import Database
from store.users import NewUser

WAVE = 200


async def main(url: str, sale_id: int, first: int, waves: int, hang: bool) -> None:
    db = Database(url)
    gate = MemoryAdmissionGate(db, payment_window=timedelta(minutes=5))

    def taps(wave: int) -> list[asyncio.Task[object]]:
        users = range(first + wave * WAVE, first + (wave + 1) * WAVE)
        return [asyncio.create_task(gate.tap(sale_id, u, user=NewUser(u, f"p{u}", None, None, "en"))) for u in users]

    for wave in range(waves):
        await asyncio.gather(*taps(wave))
        print(f"wave {wave}", flush=True)
    if hang:
        pending = taps(waves)
        await asyncio.sleep(0)  # the flusher starts its batch
        print("queued", flush=True)
        await asyncio.gather(*pending)
        await asyncio.Event().wait()  # never exits by itself: the test kills it
    await db.dispose()


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(args[0], int(args[1]), int(args[2]), int(args[3]), "--hang" in args))
