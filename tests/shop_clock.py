"""The `shop` stack started on a chosen wall clock, for behaviour that depends on the shop's time of day (a
"Tonight 20:00" preset, today's past hours): the suite runs at any hour, so such a test picks its hour.

The clock is moved before the stack starts and keeps ticking (moving it under a running stack stalls its
polling)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine

from bot.config import Settings
from bot.emulator.server import EmulatorConfig
from bot.sandbox import start_stack
from tests.conftest import USER_PACE_SECONDS, arm_strict, verify_strict


@asynccontextmanager
async def shop_at(
    when: datetime, settings: Settings, tmp_path: Path, request: pytest.FixtureRequest, *, demo_people: bool = False
) -> AsyncIterator[Any]:
    with time_machine.travel(when, tick=True):
        stack = await start_stack(
            settings,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}",
            emulator_config=EmulatorConfig(flood_limits=True, time_scale=1.0, user_pace_seconds=USER_PACE_SECONDS),
            demo_people=demo_people,
        )
        arm_strict(stack, request)
        try:
            yield stack
            await verify_strict(stack, request)
        finally:
            await stack.stop()


def shop_fixture_at(when: datetime, *, demo_people: bool = False) -> Callable[..., Any]:
    """A fixture (assign it to a name in the test module) giving the `shop` stack started on `when`; with
    `demo_people`, the sandbox's demo people and support group too."""

    @pytest.fixture
    async def stack_at(settings: Settings, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
        async with shop_at(when, settings, tmp_path, request, demo_people=demo_people) as stack:
            yield stack

    return stack_at
