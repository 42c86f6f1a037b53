"""Database backends for tests: a fresh SQLite file, or a fresh PostgreSQL database on 127.0.0.1:5432.

PostgreSQL/Redis tests skip with a reason on a laptop without the servers, and fail in CI (CI=true), where the
servers are promised to run."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

PG_HOST = os.environ.get("GROUPCART_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("GROUPCART_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("GROUPCART_TEST_PG_USER", "postgres")
REDIS_URL = os.environ.get("GROUPCART_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    if _port_open(host, port):
        return
    message = f"{name} is not running on {host}:{port}"
    if in_ci():
        pytest.fail(f"{message}, but CI=true promises it")
    pytest.skip(f"{message} (start it to run this test)")


def require_postgres() -> None:
    require_service("PostgreSQL", PG_HOST, PG_PORT)


def require_redis() -> None:
    require_service("Redis", "127.0.0.1", 6379)


@asynccontextmanager
async def fresh_database_url(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    """A URL for an empty database of `kind` (sqlite | postgres), dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / f'test-{uuid.uuid4().hex[:8]}.db'}"
        return
    require_postgres()
    import asyncpg

    name = f"gc_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        admin = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
