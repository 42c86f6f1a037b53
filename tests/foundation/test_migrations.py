"""Migrations from empty, the stairway (each revision up, down, up) and no drift between models and migrations,
on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from store import migrations
from store.db import Database
from store.models import Base
from tests.backends import fresh_database_url

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_stairway(backend: str, tmp_path: Path) -> None:
    revisions = migrations.revisions()
    assert revisions[0] == "0001_foundation"
    async with fresh_database_url(backend, tmp_path) as url:
        db = Database(url)
        try:
            previous = "base"
            for revision in revisions:
                await migrations.upgrade(db, revision)
                assert await migrations.current_revision(db) == revision
                await migrations.downgrade(db, previous)
                await migrations.upgrade(db, revision)
                previous = revision
            await migrations.downgrade(db, "base")
            assert await migrations.current_revision(db) is None
        finally:
            await db.dispose()


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return compare_metadata(context, Base.metadata)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_models_match_migrations(backend: str, tmp_path: Path) -> None:
    async with fresh_database_url(backend, tmp_path) as url:
        db = Database(url)
        try:
            await migrations.upgrade(db)
            async with db.engine.connect() as connection:
                diff = await connection.run_sync(_diff)
        finally:
            await db.dispose()
    assert diff == [], "a model changed without a migration (write one in store/migrations/versions)"
