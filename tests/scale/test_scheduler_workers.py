"""Timed events fire once with three real worker processes (PostgreSQL + Redis), even when the worker performing
one is killed with SIGKILL in the middle of it.

There is no scheduler leader, lock or lease: every worker runs the scheduler and arms every pending event, and
firing claims the event's row (`pending -> running`, a conditional update) inside the transaction that performs
it (bot/scheduler.py). A second worker's claim waits on that row and finds it taken; a claimant that dies
mid-event never commits, PostgreSQL rolls its transaction back when the connection drops, and the event is
pending again for the others. Flash sales start and end here: each start announces the sale once in the group
and once to the subscriber, each end tells the admin once, and each event row is claimed exactly once."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from store import flashsale, users
from store.models import ScheduledJob
from tests.conftest import ADMIN_ID
from tests.flashsale.helpers import make_product, scheduled_sale
from tests.scale.cluster import Cluster, three_workers

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SALES = 3
HELD = 0  # the sale whose start the test holds up (a row lock) to kill the worker performing it
STARTS_IN = timedelta(seconds=10)
LASTS = timedelta(seconds=30)


def _worker_with_port(shop: Cluster, client_port: int) -> int:
    """The worker process whose TCP connection to PostgreSQL has the local port `client_port` (Linux /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == client_port:
                inodes.add(f"socket:[{fields[9]}]")
    for pid in shop.workers.pids().values():
        fd_dir = Path(f"/proc/{pid}/fd")
        for fd in fd_dir.iterdir():
            try:
                if os.readlink(fd) in inodes:
                    return pid
            except OSError:
                continue
    raise AssertionError(f"no worker has a connection from port {client_port}")


async def test_each_event_fires_once_across_workers_and_after_its_worker_is_killed(tmp_path: Path) -> None:
    async with three_workers(tmp_path, GROUPCART_SCHEDULER__SWEEP_SECONDS="1") as shop:
        ada = await shop.client.user("Ada", id=ADMIN_ID)
        sue = await shop.client.user("Sue", id=8_400_001)
        group = await shop.client.group("Neighbours", members=[sue], bot_admin=True)
        for person in (ada, sue):
            await person.send("/start")
        await sue.send("/subscribe")
        await shop.client.wait_for(lambda: users.active_groups(shop.db), timeout=30)

        sales = []
        for i in range(SALES):
            await make_product(shop.db, f"S{i}", stock=20)
            sales.append(
                await scheduled_sale(shop.db, f"S{i}", stock=5, starts_in=STARTS_IN, lasts=LASTS, created_by=ADMIN_ID)
            )
        keys = [key(sale.id) for sale in sales for key in (flashsale.start_key, flashsale.end_key)]

        # Hold the first sale's row: the worker that claims its start event waits inside the event's transaction.
        async with shop.db.tx() as session:
            await session.execute(text("SELECT id FROM flash_sales WHERE id = :id FOR UPDATE"), {"id": sales[HELD].id})
            me = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()

            async def blocked() -> list[tuple[int, int]]:
                async with shop.db.read() as other:
                    rows = await other.execute(
                        text("SELECT pid, client_port FROM pg_stat_activity WHERE :me = ANY(pg_blocking_pids(pid))"),
                        {"me": me},
                    )
                    return [(int(pid), int(port)) for pid, port in rows]

            (claimant,) = await shop.client.wait_for(blocked, timeout=60)
            async with shop.db.read() as other:
                running = (
                    await other.execute(select(ScheduledJob.status).where(ScheduledJob.key == keys[2 * HELD]))
                ).scalar_one()
            assert running == "pending"  # the claim is not committed: nobody else sees it taken
            victim = _worker_with_port(shop, claimant[1])
            os.kill(victim, 9)
            await asyncio.sleep(1.0)  # the dead worker's backend is still waiting for the lock: let it go now
        # The dead claimant's transaction rolls back; a live worker claims the event and performs it.

        async def all_done() -> bool:
            async with shop.db.read() as session:
                rows = await session.execute(select(ScheduledJob.status).where(ScheduledJob.key.in_(keys)))
                return set(rows.scalars()) == {"done"}

        await shop.client.wait_for(all_done, timeout=120)
        async with shop.db.read() as session:
            jobs = (await session.execute(select(ScheduledJob).where(ScheduledJob.key.in_(keys)))).scalars().all()
        assert {job.key: job.attempts for job in jobs} == {key: 1 for key in keys}  # each claimed exactly once
        for sale in sales:
            view = await flashsale.get_sale(shop.db, sale.id)
            assert view.status == "ended", (sale.id, view.status)

        async def bot_texts(chat: object, person: object) -> list[str]:
            return [m.text or "" for m in await person.messages(chat) if m.from_bot]  # type: ignore[attr-defined]

        async def announced() -> bool:
            summaries = [t for t in await bot_texts(None, ada) if "is over" in t]
            return len(summaries) >= SALES

        await shop.client.wait_for(announced, timeout=60)
        await asyncio.sleep(2.0)  # a second announcement would have been sent by now
        in_group = Counter(t.split("\n")[0] for t in await bot_texts(group, sue) if "Flash sale" in t)
        private = Counter(t.split("\n")[0] for t in await bot_texts(None, sue) if "Flash sale" in t)
        summaries = Counter(t.split(" is over")[0] for t in await bot_texts(None, ada) if "is over" in t)
        cards = {f"⚡ Flash sale: Product S{i}": 1 for i in range(SALES)}
        assert in_group == cards, in_group  # one card per sale, edited at the end (not posted again)
        assert private == cards, private
        assert len(summaries) == SALES and set(summaries.values()) == {1}, summaries
        assert victim not in shop.workers.pids().values()
