"""Schema migrations (Alembic), callable from async code and from the `groupcart db` CLI.

Alembic's machinery (with Mako and every dialect's DDL compiler) costs a visible share of a bot's start-up, and
on almost every start the schema is already at the newest revision. `upgrade()` therefore first compares the
database's recorded revision with the head read from the revision files as text, and loads Alembic only when
they differ (or when either cannot be read with certainty)."""

from __future__ import annotations

import ast
import logging
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text

from store.db import Database

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]+)?=\s*(.+)$", re.MULTILINE)


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def revisions() -> list[str]:
    """Revision ids from the first to the head."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


@cache
def head_from_files() -> str | None:
    """The single head revision, read from the revision files without importing them (None when that is not
    certain: no files, several heads, or an assignment that is not a plain literal)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        found = dict(_ASSIGNMENT.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found or "down_revision" not in found:
            return None
        try:
            revision = ast.literal_eval(found["revision"].strip())
            down = ast.literal_eval(found["down_revision"].strip())
        except (ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple | list):
            parents.update(str(d) for d in down)
        elif down is not None:
            return None
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


async def recorded_revisions(db: Database) -> set[str] | None:
    """What alembic_version says, or None when there is no such table yet (or it cannot be read)."""
    try:
        async with db.read_engine.connect() as connection:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return {str(row[0]) for row in rows}
    except Exception:  # no table yet: a new database, Alembic creates it
        return None


async def at_head(db: Database) -> bool:
    head = head_from_files()
    return head is not None and await recorded_revisions(db) == {head}


def _in_connection(connection: Connection, action: str, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    if action == "upgrade":
        command.upgrade(cfg, revision)
    else:
        command.downgrade(cfg, revision)


async def upgrade(db: Database, revision: str = "head") -> None:
    if revision == "head" and await at_head(db):
        log.debug("schema already at %s: Alembic not loaded", head_from_files())
        return
    async with db.engine.begin() as connection:
        await connection.run_sync(_in_connection, "upgrade", revision)


async def downgrade(db: Database, revision: str) -> None:
    async with db.engine.begin() as connection:
        await connection.run_sync(_in_connection, "downgrade", revision)


async def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    def _current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.read_engine.connect() as connection:
        return await connection.run_sync(_current)
