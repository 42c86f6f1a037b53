"""Issue 9 item 12 (flood control): a burst of updates whose replies meet Telegram's per-chat limit (the
emulator answers 429 with retry_after) gets every reply delivered, late, and no apology."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.emulator.server import EmulatorConfig
from bot.i18n import t
from bot.sandbox import Stack, start_stack
from tests.conftest import make_test_settings

BURST = 6


@pytest.fixture
async def flood_shop(tmp_path: Path) -> AsyncIterator[Stack]:
    stack = await start_stack(
        make_test_settings(),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}",
        # Stricter than Telegram (no burst), so replies meet 429 even where the bot paces its own sends.
        emulator_config=EmulatorConfig(flood_limits=True, time_scale=1.0, per_chat_burst=1, per_chat_rate=1.0),
    )
    try:
        yield stack
    finally:
        await stack.stop()


async def test_burst_over_the_chat_limit_is_delivered_without_apology(
    flood_shop: Any, caplog: pytest.LogCaptureFixture
) -> None:
    shop = flood_shop
    alice = await shop.client.user("Alice", lang="en")
    await alice.send("/start")

    async def bot_messages() -> list[str]:
        return [m.text or "" for m in await alice.messages() if m.from_bot]

    await shop.client.wait_for(bot_messages, timeout=10)
    before = len(await bot_messages())
    refused_before = await _refusals(shop)
    with caplog.at_level(logging.INFO):
        for i in range(BURST):
            await alice.send(f"/help {i}")  # distinct texts: a repeated one may rightly be answered once

        async def all_delivered() -> bool:
            return len(await bot_messages()) >= before + BURST

        await shop.client.wait_for(all_delivered, timeout=60, interval=0.2)
    replies = (await bot_messages())[before:]
    assert len(replies) == BURST
    help_text = replies[0]
    assert all(reply == help_text for reply in replies), replies
    apologies = {t(lang, key) for lang in ("en", "zh") for key in ("errors.internal", "errors.generic")}
    assert not apologies & set(replies)
    assert await _refusals(shop) > refused_before, "the burst never met flood control: the test proves nothing"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith(("handlers", "bot"))]


async def _refusals(shop: Any) -> int:
    """How many Bot API calls the emulator answered 429."""
    calls = await shop.client.calls()
    return sum(1 for call in calls if (call.get("error") or {}).get("error_code") == 429)
