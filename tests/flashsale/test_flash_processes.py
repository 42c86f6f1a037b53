"""Two real bot processes on one database tap the same sale; one is killed with SIGKILL in the middle of its
storm. Nothing is oversold: units taken, claim rows, orders and the product's stock agree."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from store import flashsale
from store.db import Database
from store.models import Order, Product
from tests.flashsale.helpers import live_sale, make_product

ROOT = Path(__file__).resolve().parents[2]
UNITS = 300


async def _worker(url: str, sale_id: int, first: int, waves: int, *, hang: bool) -> asyncio.subprocess.Process:
    args = [sys.executable, "-m", "tests.flashsale.storm_worker", url, str(sale_id), str(first), str(waves)]
    return await asyncio.create_subprocess_exec(
        *(args + (["--hang"] if hang else [])), cwd=ROOT, stdout=asyncio.subprocess.PIPE, env={**os.environ}
    )


async def _wait_for(proc: asyncio.subprocess.Process, line: str) -> None:
    assert proc.stdout is not None
    while True:
        got = (await asyncio.wait_for(proc.stdout.readline(), timeout=120)).decode().strip()
        assert got, f"worker exited before {line!r} (rc {await proc.wait()})"
        if got == line:
            return


async def test_two_processes_and_kill_9(any_db: Database) -> None:
    product_id = await make_product(any_db, stock=500)
    sale = await live_sale(any_db, stock=UNITS)
    # Both processes tap with overlapping user ranges: the same people in both, as with two bot replicas.
    victim = await _worker(any_db.url, sale.id, 1_000, 1, hang=True)
    survivor = await _worker(any_db.url, sale.id, 1_100, 4, hang=False)
    try:
        await _wait_for(victim, "queued")
        victim.send_signal(signal.SIGKILL)  # mid-batch: its open transaction must leave no trace
        assert await victim.wait() == -signal.SIGKILL
        assert await asyncio.wait_for(survivor.wait(), timeout=120) == 0
    finally:
        for proc in (victim, survivor):
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    view = await flashsale.get_sale(any_db, sale.id)
    claims = await flashsale.claims_of(any_db, sale.id)
    async with any_db.read() as session:
        n_orders = (
            await session.execute(select(func.count()).select_from(Order).where(Order.source == "flashsale"))
        ).scalar_one()
        stock = (await session.execute(select(Product.stock).where(Product.id == product_id))).scalar_one()
    assert 0 < view.sold <= UNITS
    assert len(claims) == view.sold == n_orders  # every unit taken has its claim and its order, no more
    assert all(order_id is not None for _, _, _, order_id in claims)
    assert max(Counter(u for u, _, _, _ in claims).values()) == 1  # overlapping users still get one each
    assert stock == 500 - UNITS  # the pool left the product once; nothing came from elsewhere
