"""`desk_at(when)`: the `shop` stack with the sandbox's demo people and support group, started on a chosen wall
clock (support hours are 09:00-21:00 shop time, config.yaml), like tests/shop_clock.py's `shop_at`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine

from bot.config import Settings
from bot.emulator.server import EmulatorConfig
from bot.sandbox import start_stack
from tests.conftest import USER_PACE_SECONDS, arm_strict, verify_strict


def desk_at(when: datetime) -> Callable[..., Any]:
    """A fixture (assign it to a name in the test module): the demo-people stack started on `when`; the clock
    keeps ticking (moving it under a running stack stalls its polling)."""

    @pytest.fixture
    async def stack_at(settings: Settings, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
        with time_machine.travel(when, tick=True):
            stack = await start_stack(
                settings,
                database_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}",
                emulator_config=EmulatorConfig(flood_limits=True, time_scale=1.0, user_pace_seconds=USER_PACE_SECONDS),
                demo_people=True,
            )
            arm_strict(stack, request)
            try:
                yield stack
                await verify_strict(stack, request)
            finally:
                await stack.stop()

    return stack_at
