"""`/metrics` in Prometheus format: updates by kind, handler latency, errors, Bot API calls and 429s, outbox
backlog and age, served next to the webhook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.app import create_app
from bot.config import Settings
from bot.runner import webhook_handler
from store import notify
from store.db import Database
from tests.scale.test_update_dedupe import _help
from tests.stubs import stub_bot


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_count_what_the_process_did(db: Database, settings: Settings) -> None:
    bot, session = stub_bot()
    app = await create_app(settings, "123456:TEST", db=db, migrate=False, bot=bot)
    session.retry_after_once[7_003] = 1  # Telegram answers one send with 429
    async with db.tx() as tx:
        await notify.enqueue(tx, 7_001, "common.ok", not_before=datetime.now(UTC) - timedelta(seconds=90))
    client = TestClient(TestServer(webhook_handler(app, "s3cret")))
    await client.start_server()
    try:
        for update in (_help(1, 7_001), _help(1, 7_001), _help(2, 7_002), _help(3, 7_003)):
            await app.dp.feed_update(app.bot, update)
        resp = await client.get("/metrics")
        assert resp.status == 200 and resp.content_type.startswith("text/plain")
        got = _samples(await resp.text())
    finally:
        await client.close()
        await app.dp.storage.close()
    assert got[("groupcart_updates_total", (("kind", "message"),))] == 4  # the repeat arrived too...
    assert got[("groupcart_update_seconds_count", (("kind", "message"),))] == 4
    # ...handled once: three replies, one of them sent again after its 429
    assert got[("groupcart_bot_api_calls_total", (("method", "sendMessage"),))] == 4
    assert got[("groupcart_bot_api_429_total", (("method", "sendMessage"),))] == 1
    assert got[("groupcart_outbox_backlog", ())] == 1
    assert 80 < got[("groupcart_outbox_oldest_seconds", ())] < 600


@pytest.mark.parametrize(
    "update",
    [
        {"callback_query": {"id": "1", "from": {"id": 1, "is_bot": False, "first_name": "a"}, "chat_instance": "c"}},
        {"message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "hi"}},
        {"edited_message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "hi"}},
        {
            "pre_checkout_query": {
                "id": "q",
                "from": {"id": 1, "is_bot": False, "first_name": "a"},
                "currency": "CNY",
                "total_amount": 100,
                "invoice_payload": "p",
            }
        },
    ],
    ids=lambda u: next(iter(u)),
)
def test_an_update_is_counted_under_its_own_kind(update: dict[str, object]) -> None:
    from aiogram.types import Update

    from bot.metrics import _kind

    parsed = Update.model_validate({"update_id": 1, **update})
    assert _kind(parsed) == next(iter(update)) == parsed.event_type
