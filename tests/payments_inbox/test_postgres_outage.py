"""Issue 9 item 1 on PostgreSQL: the server goes away at the moment the successful_payment arrives.

The test runs its own PostgreSQL (initdb + pg_ctl on a free port) so that it can stop it (`-m immediate`:
every connection cut, like a crash) and start it again without disturbing the shared server."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.emulator.server import EmulatorConfig
from bot.sandbox import start_stack
from tests.payments_inbox.helpers import (
    PAID_NOTE,
    RECORDING_NOTE,
    assert_paid_once,
    at_payment_delivery,
    bot_texts,
    invoice_in_hand,
    wait_bot_says,
)
from tests.private_services import PrivatePostgres

pytestmark = pytest.mark.postgres


async def test_postgres_down_at_successful_payment(
    settings: Settings, tmp_path: Path, private_pg: PrivatePostgres
) -> None:
    url = await private_pg.create_database(f"gc_inbox_{uuid.uuid4().hex[:10]}")
    stack: Any = await start_stack(settings, database_url=url, emulator_config=EmulatorConfig(flood_limits=True))
    stopped = False
    try:
        alice, tea = await invoice_in_hand(stack.client, stack.db)

        async def postgres_stops() -> None:
            nonlocal stopped
            await asyncio.to_thread(private_pg.stop)
            stopped = True

        at_payment_delivery(stack.emulator, postgres_stops)
        assert (await alice.pay())["status"] == "paid"
        await wait_bot_says(stack.client, alice, RECORDING_NOTE)
        assert stopped and not any(PAID_NOTE in text for text in await bot_texts(alice))
        await asyncio.to_thread(private_pg.start)
        stopped = False
        await assert_paid_once(stack.client, stack.db, alice, tea)
    finally:
        if stopped:
            await asyncio.to_thread(private_pg.start)
        await stack.stop()
