"""Fixtures for the payment inbox: fast retries, a spool per test, private servers that tests may stop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from tests.conftest import make_test_settings
from tests.private_services import PrivatePostgres, PrivateRedis

FAST_RETRIES = {"inbox_retry_seconds": 0.05, "inbox_retry_max_seconds": 0.3}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_test_settings(payments={**FAST_RETRIES, "inbox_path": str(tmp_path / "payment-inbox.sqlite3")})


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.kill()
