"""A conversation whose steps land on different worker processes keeps every field: the admin's flash-sale
set-up (product, price, units, limit, start, duration, audience, confirm) with each update delivered to another
of three real workers (PostgreSQL + Redis), every typed answer read against what the previous worker stored."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.emulator.client import MessageView
from store import flashsale
from store.models import utcnow
from tests.conftest import ADMIN_ID
from tests.flashsale.helpers import make_product
from tests.scale.cluster import WORKERS, three_workers

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _text(message: MessageView | None) -> str:
    assert message is not None
    return message.text or ""


async def test_flash_setup_with_each_step_on_another_worker_keeps_every_field(tmp_path: Path) -> None:
    async with three_workers(tmp_path) as shop:
        await make_product(shop.db, "RICE-1", price=9900, stock=40)
        ada = await shop.client.user("Ada", id=ADMIN_ID)
        handled_by: list[tuple[int, str | None]] = []
        step = 0

        async def on_next_worker(action: str, *args: str) -> str:
            """Deliver the next update to worker step % 3 and return the bot's last message after it."""
            nonlocal step
            index = step % WORKERS
            step += 1
            shop.deliver_to(index)
            before = len(shop.pushed)
            await getattr(ada, action)(*args)
            assert len(shop.pushed) == before + 1
            handled_by.append((index, await shop.claim_of(shop.pushed[-1]["update_id"])))
            return _text(await ada.last_message())

        await on_next_worker("send", "/start")
        await on_next_worker("send", "/flash_new")
        assert "sells at ¥99.00" in await on_next_worker("send", "rice")  # product: found by name
        assert "How many units" in await on_next_worker("send", "¥79,20")  # price
        assert "How many may one person get" in await on_next_worker("send", "10")  # units
        assert "When does it start" in await on_next_worker("send", "2")  # per-person limit
        assert "How long" in await on_next_worker("send", "in 5 min")  # start
        assert "Who hears about it" in await on_next_worker("send", "90 min")  # duration
        summary = await on_next_worker("tap", "Next")  # audience: the default
        # The summary, built by the worker that took this step from what four others stored.
        assert "¥79.20" in summary and "Product RICE-1" in summary, summary
        assert "scheduled" in await on_next_worker("tap", "Create flash sale")

        # Each step was handled by the worker it was delivered to (the ledger names the process).
        pids = shop.workers.pids()
        assert [claim for _, claim in handled_by] == [f"done:{_host(claim)}:{pids[i]}" for i, claim in handled_by]
        assert {i for i, _ in handled_by} == set(range(WORKERS))
        (sale,) = await flashsale.list_sales(shop.db)
        assert (sale.price, sale.stock, sale.per_user_limit) == (7920, 10, 2)
        assert sale.ends_at - sale.starts_at == timedelta(minutes=90)
        # "in 5 min" from when it was typed, rounded up to a whole minute (as every sale time is).
        assert timedelta(minutes=3) < sale.starts_at - utcnow() <= timedelta(minutes=6)
        assert (sale.groups, sale.subscribers) == (None, True)


def _host(claim: str | None) -> str:
    assert claim is not None
    return claim.split(":")[1]
