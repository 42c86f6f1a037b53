"""Most flash-sale tests are about the sale's own mechanics (start, taps, end), so they run without tier early
access; `test_flash_early_access.py` turns it back on."""

from __future__ import annotations

import dataclasses

import pytest

from bot.config import Settings
from store.db import Database
from tests.conftest import make_test_settings, settings_without_early_access


@pytest.fixture
def settings(request: pytest.FixtureRequest) -> Settings:
    if request.node.get_closest_marker("early_access"):
        return make_test_settings()
    return settings_without_early_access()


def _without_early_access(db: Database, request: pytest.FixtureRequest) -> Database:
    if not request.node.get_closest_marker("early_access"):
        growth = db.rules.growth
        tiers = tuple(dataclasses.replace(t, early_access_minutes=0) for t in growth.tiers)
        db.use_rules(dataclasses.replace(db.rules, growth=dataclasses.replace(growth, tiers=tiers)))
    return db


@pytest.fixture
def db(db: Database, request: pytest.FixtureRequest) -> Database:
    return _without_early_access(db, request)


@pytest.fixture
def any_db(any_db: Database, request: pytest.FixtureRequest) -> Database:
    return _without_early_access(any_db, request)
