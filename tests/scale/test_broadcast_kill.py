"""A broadcast to 300 shoppers with the sending process (`groupcart run`, long polling against the emulator with
its flood limits on) killed with SIGKILL part-way and started again: every shopper gets the message exactly
once and Telegram never answers 429.

The kill lands while the bot's sendMessage for one shopper is open at the emulator, at two moments:
- before Telegram took it (the request is lost with the process): that row was claimed and tried by the dead
  process, and must still reach its shopper, once, through the restarted one (with the rows the dead process
  had claimed behind it, once their claim lease ran out);
- after Telegram took it, before the bot heard back: the one case no bot can tell apart (Telegram has no
  idempotency key), where the outbox delivers at least once. That shopper may get it twice; nobody else may,
  and nobody is skipped.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from benchmarks.broadcast import (
    FIRST_USER,
    BotProcess,
    bot_env,
    configured_rate,
    queue_broadcast,
    seed_shoppers,
    wait_polled,
)
from bot.emulator.server import EmulatorConfig, start_emulator
from tests.backends import fresh_database_url

RECIPIENTS = 300
KILL_AT = 120  # shoppers reached before the kill
STALL = 150.0  # seconds without a message before the test gives up (claim lease 30 s + requeue every 10 s)


async def _broadcast_with_kill(tmp_path: Path, backend: str, telegram_took_it: bool) -> tuple[Counter[int], Any, int]:
    """Messages per recipient chat, the emulator, and the chat whose send the kill interrupted."""
    per_second, _ = configured_rate()
    emulator = await start_emulator(EmulatorConfig(token=f"{random.randint(10**9, 2 * 10**9)}:BC-KILL"))
    emu = emulator.emulator
    for i in range(RECIPIENTS):
        emu.add_user(f"Shopper {i}", lang="en", user_id=FIRST_USER + i).started = True
    received: Counter[int] = Counter()
    interrupted: list[int] = []
    polled = asyncio.Event()
    real_post, real_record = emu.post, emu.record_call
    bots: list[BotProcess] = []

    async def post(chat: Any, sender: Any, content: Any, **kwargs: Any) -> Any:
        mine = sender.id == emu.bot.id and chat.id >= FIRST_USER
        if mine and not interrupted and sum(received.values()) == KILL_AT:
            interrupted.append(chat.id)
            if telegram_took_it:
                # Stored and counted before the kill: once the bot is dead the server may cancel this handler
                # (its client went away) part-way through the post, which would make it a lost send instead.
                stored = await real_post(chat, sender, content, **kwargs)
                received[chat.id] += 1
                bots[-1].kill9()  # dies before it hears back
                return stored
            bots[-1].kill9()  # dies with this request open
            await asyncio.Event().wait()  # never processed, never answered (ends with the emulator)
        stored = await real_post(chat, sender, content, **kwargs)
        if mine:
            received[chat.id] += 1
        return stored

    def record_call(method: str, params: Any, ok: bool, result: Any = None, error: Any = None) -> None:
        if method == "deleteWebhook":  # the outbox sender is running (not getUpdates: the dead poll ends late)
            polled.set()
        real_record(method, params, ok, result, error)

    emu.post = post  # type: ignore[method-assign]
    emu.record_call = record_call  # type: ignore[method-assign]
    try:
        async with fresh_database_url(backend, tmp_path) as url:
            env = bot_env(TELEGRAM_BOT_TOKEN=emulator.token, GROUPCART_DATABASE__URL=url,
                          GROUPCART_TELEGRAM__API_BASE=emulator.base_url)  # fmt: skip
            try:
                bots.append(BotProcess(env))
                await bots[0].start()  # it also migrates the fresh database
                await wait_polled(polled, bots[0], 300)
                await seed_shoppers(url, RECIPIENTS)
                _, queued = await queue_broadcast(url, per_second)
                assert queued == RECIPIENTS
                await _until(lambda: bool(interrupted) and not bots[0].alive, bots[0], received)
                await bots[0].wait()
                polled.clear()
                bots.append(BotProcess(env))
                await bots[1].start()
                await wait_polled(polled, bots[1], 300)
                # The row whose send was cut short comes back only when its claim lease runs out: on a fast run
                # every other shopper may be reached before that, so when Telegram took it, wait for the repeat too.
                await _until(
                    lambda: len(received) == RECIPIENTS and (not telegram_took_it or received[interrupted[0]] > 1),
                    bots[1],
                    received,
                )
                await asyncio.sleep(2)  # a duplicate on its way would land now
            finally:
                for bot in reversed(bots):
                    await bot.stop()
    finally:
        await emulator.stop()
    return received, emu, interrupted[0]


async def _until(done: Any, bot: BotProcess, received: Counter[int]) -> None:
    seen, since = sum(received.values()), time.monotonic()
    while not done():
        assert bot.alive, "the bot died:\n" + "".join(bot.log[-30:])
        if sum(received.values()) != seen:
            seen, since = sum(received.values()), time.monotonic()
        assert time.monotonic() - since < STALL, f"stalled at {len(received)}/{RECIPIENTS}: " + "".join(bot.log[-20:])
        await asyncio.sleep(0.05)


def _send_errors(emu: Any) -> list[Any]:
    """Error answers to anything but the dead process's long poll (ended with 409 when the new one polls)."""
    return [e for e in emu.error_responses() if not (e["method"] == "getUpdates" and e["error_code"] == 409)]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_send_lost_with_the_killed_process_reaches_everyone_exactly_once(tmp_path: Path, backend: str) -> None:
    received, emu, interrupted = await _broadcast_with_kill(tmp_path, backend, telegram_took_it=False)
    assert received[interrupted] == 1
    assert sorted(received) == [FIRST_USER + i for i in range(RECIPIENTS)]  # 0 skipped
    assert [chat for chat, n in received.items() if n > 1] == []  # 0 duplicates
    assert _send_errors(emu) == []  # 0 HTTP 429, and no other refusal


async def test_a_send_telegram_took_before_the_kill_repeats_only_for_that_shopper(tmp_path: Path) -> None:
    received, emu, interrupted = await _broadcast_with_kill(tmp_path, "sqlite", telegram_took_it=True)
    assert sorted(received) == [FIRST_USER + i for i in range(RECIPIENTS)]  # 0 skipped
    assert {chat: n for chat, n in received.items() if n > 1} == {interrupted: 2}  # at least once, and only there
    assert _send_errors(emu) == []
