"""Thousands of random updates through the real bot: commands with odd arguments, stale and forged buttons,
texts of 0-4,096 characters in Latin, CJK, Arabic, emoji, HTML-ish and control characters, photos with captions,
stickers, contacts, locations, payments whose terms no longer match the shop, users the bot never saw and a
group it never heard of, and now and then the same action done 2-5 times at once (a double tap, an impatient
user). The bot must survive all of it the way Telegram requires: no exception reaching the
error handler, every callback and pre-checkout query answered, no error answer from the Bot API, no apology.

How hypothesis is used: the real stack (emulator + bot polling it + seeded SQLite store) is started once, and
hypothesis draws batches of actions (derandomized, no example database: the same script every run). Each batch
is played through the stack, whose state carries over between batches as a real shop's does. Because of that
state, shrinking a failing batch would replay it against a different shop, so the test does not stop at the first
failure: it plays every batch, files each finding under a class (what failed, in which handler) with the smallest
action that showed it, and fails at the end with the whole list.

    pytest tests/fuzz -q                      # ~5,000 updates
    FUZZ_EXAMPLES=20 pytest tests/fuzz -q     # a quick look
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings

from bot.config import Settings
from bot.emulator.server import EmulatorConfig
from bot.retry import RetryAfterMiddleware
from bot.sandbox import Stack, start_stack
from tests import strict
from tests.fuzz.actions import Act
from tests.fuzz.driver import Driver, Findings, World, catching_logs
from tests.fuzz.strategies import batches

BATCH = 30
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "210"))
MIN_UPDATES = 5_000 if "FUZZ_EXAMPLES" not in os.environ else 0

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(900)]


async def _start(settings: Settings, tmp_path: Path) -> tuple[Stack, World]:
    stack = await start_stack(
        settings,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}",
        emulator_config=EmulatorConfig(flood_limits=True, frozen_clock=True),
        seed_demo=True,
        demo_people=True,
    )
    for middleware in stack.app.bot.session.middleware:
        if isinstance(middleware, RetryAfterMiddleware):
            # On the frozen clock no wait would ever pass, and every 429 is a finding already: fail fast instead
            # of sleeping real seconds (the bot's own knob; its behaviour on 429 is otherwise unchanged).
            middleware.max_wait = 0
    world = World(stack)
    await world.build()
    return stack, world


def test_random_updates_through_the_real_dispatcher(settings: Settings, tmp_path: Path) -> None:
    findings = Findings()
    with asyncio.Runner() as runner, catching_logs() as logs:
        stack, world = runner.run(_start(settings, tmp_path))
        try:
            driver = Driver(world, findings, logs)
            baseline = len(logs.records)
            assert baseline == 0, [r.getMessage() for r in logs.records]

            async def play(batch: list[Act]) -> None:
                for act in batch:
                    await driver.play(act)

            @settings_for_fuzz
            @given(batch=batches(BATCH))
            def run_batch(batch: list[Act]) -> None:
                runner.run(play(batch))

            run_batch()
            final = strict.StrictTelegram(world.emu).violations()
        finally:
            runner.run(stack.stop())
    assert findings.updates >= MIN_UPDATES, f"only {findings.updates} updates reached the bot"
    if findings.classes or final:
        pytest.fail(findings.report() + "".join(f"\n  at the end: {problem}" for problem in final[:20]), pytrace=False)


settings_for_fuzz = hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)
