"""Shared fixtures.

- `db` / `any_db`: a migrated Database; `any_db` runs the test on SQLite and on PostgreSQL.
- `settings`: the project's settings with test-friendly values.
- `shop`: the emulator + the real aiogram bot polling it + a fresh SQLite store (optionally seeded):
  `alice = await shop.client.user("Alice")`, `await alice.send("/start")`, ...
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bot.config import Settings, load_settings
from store import migrations
from store.db import Database
from tests.backends import fresh_database_url

if TYPE_CHECKING:
    from tests.strict import StrictTelegram

ROOT = Path(__file__).resolve().parent.parent

# Tests never talk to Telegram: make sure a developer's real token cannot leak into them.
for _secret in ("TELEGRAM_BOT_TOKEN", "PAYMENT_PROVIDER_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "DATABASE_URL"):
    os.environ.pop(_secret, None)

ADMIN_ID = 900_000_001


def make_test_settings(**overrides: Any) -> Settings:
    """The project's config with test-friendly timings; feature test folders add their own overrides."""
    return load_settings(
        ROOT / "config.yaml",
        admins=[ADMIN_ID],
        scheduler={"sweep_seconds": 0.2, "grace_seconds": 300},
        outbox={"per_second": 200, "poll_seconds": 0.05, "max_attempts": 3},
        **overrides,
    )


def settings_without_early_access(**overrides: Any) -> Settings:
    """`make_test_settings(**overrides)` where no loyalty tier opens flash sales early: a brand-new shopper may tap
    Buy the moment a sale starts."""
    base = make_test_settings(**overrides)
    tiers = [t.model_copy(update={"early_access_minutes": 0}).model_dump() for t in base.loyalty.tiers]
    return make_test_settings(**{**overrides, "loyalty": {**overrides.get("loyalty", {}), "tiers": tiers}})


@pytest.fixture
def settings() -> Settings:
    return make_test_settings()


async def _migrated(url: str) -> Database:
    db = Database(url)
    await migrations.upgrade(db)
    return db


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database."""
    async with fresh_database_url("sqlite", tmp_path) as url:
        database = await _migrated(url)
        yield database
        await database.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database, once on SQLite and once on PostgreSQL."""
    async with fresh_database_url(request.param, tmp_path) as url:
        database = await _migrated(url)
        yield database
        await database.dispose()


# A person reads the bot's answer before acting again; the emulator lets this much Telegram time pass before each
# user action, so a 429 in a test means the bot burst out messages for one action (DESIGN: one action, one message)
# rather than that the test clicked faster than any person could, on whatever machine it runs.
USER_PACE_SECONDS = 3.0
STRICT_KEY = pytest.StashKey["StrictTelegram"]()
CALL_FAILED_KEY = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        # the strict teardown check would only repeat a failure the test already reported
        item.stash[CALL_FAILED_KEY] = True
    return report


async def verify_strict(stack: Any, request: pytest.FixtureRequest) -> None:
    """The Telegram-strict teardown check (tests/strict.py) for a stack a fixture started."""
    from tests import strict

    if request.node.stash.get(CALL_FAILED_KEY, False):
        return
    await strict.verify(stack, request.node.stash[STRICT_KEY])


def arm_strict(stack: Any, request: pytest.FixtureRequest) -> None:
    from tests import strict

    request.node.stash[STRICT_KEY] = strict.for_stack(stack, request)


@pytest.fixture
def strict(shop: Any, request: pytest.FixtureRequest) -> StrictTelegram:
    """`with strict.expect("message is not modified"): ...` around an action that provokes an error on purpose."""
    return request.node.stash[STRICT_KEY]


@pytest.fixture
async def shop(settings: Settings, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[object]:
    """The whole bot against the emulator on a fresh SQLite store.

    Mark a test with `@pytest.mark.seeded` to load the demo catalog, `@pytest.mark.demo_people` for the
    sandbox's demo users and chats (stack.people / stack.chats). At teardown the test fails on any Bot API
    error it did not declare, an unanswered query or the error handler's apology (tests/strict.py).
    """
    from bot.emulator.server import EmulatorConfig
    from bot.sandbox import start_stack

    stack = await start_stack(
        settings,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}",
        emulator_config=EmulatorConfig(flood_limits=True, time_scale=1.0, user_pace_seconds=USER_PACE_SECONDS),
        seed_demo=request.node.get_closest_marker("seeded") is not None,
        demo_people=request.node.get_closest_marker("demo_people") is not None,
    )
    arm_strict(stack, request)
    try:
        yield stack
        await verify_strict(stack, request)
    finally:
        await stack.stop()
