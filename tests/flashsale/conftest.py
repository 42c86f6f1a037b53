"""Most flash-sale tests are about the sale's own mechanics (start, taps, end), so they run without tier early
access; `test_flash_early_access.py` turns it back on."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from bot.config import Settings
from store import growth
from tests.conftest import make_test_settings


def _no_early_access(settings: Settings) -> Settings:
    tiers = [t.model_copy(update={"early_access_minutes": 0}).model_dump() for t in settings.loyalty.tiers]
    return make_test_settings(loyalty={"tiers": tiers})


@pytest.fixture
def settings(request: pytest.FixtureRequest) -> Settings:
    base = make_test_settings()
    return base if request.node.get_closest_marker("early_access") else _no_early_access(base)


@pytest.fixture(autouse=True)
def growth_policy(request: pytest.FixtureRequest) -> Iterator[None]:
    previous = growth.policy()
    if not request.node.get_closest_marker("early_access"):
        tiers = tuple(dataclasses.replace(t, early_access_minutes=0) for t in previous.tiers)
        growth.configure(dataclasses.replace(previous, tiers=tiers))
    yield
    growth.configure(previous)
