"""Engine, sessions and the unit of work.

`Database.tx()` is the unit of work for every state change: it commits when the block ends normally and rolls
back on any exception. On SQLite the write transactions are serialised in-process (SQLite has one writer anyway)
and start with BEGIN IMMEDIATE, so a transaction never has to upgrade a read lock and fail with "database is
locked" under load; readers use a separate engine and are never blocked in WAL mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from store.sqlite_inline import inline_connector

if TYPE_CHECKING:
    from store.rules import ShopRules

log = logging.getLogger(__name__)

AfterCommitHook = Callable[[dict[str, Any]], Awaitable[None]]


def _sqlite_engine(url: str, *, immediate: bool, echo: bool, inline: bool = False) -> AsyncEngine:
    path = make_url(url).database
    if inline and path and path != ":memory:":
        engine = create_async_engine(url, echo=echo, async_creator=inline_connector(path, timeout=30))
    else:
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN is ours (SQLAlchemy's aiosqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@dataclass
class _SharedRead:
    """A read session that `Database.read()` hands out again inside `Database.read_together()`: only to the task
    that opened it (a task started inside the block copies the context but must not use a session that closes
    under it), and no more once a read inside it failed (PostgreSQL aborts the rest of that transaction)."""

    db: Database
    session: AsyncSession
    task: asyncio.Task[Any] | None
    usable: bool = True


_shared_read: ContextVar[_SharedRead | None] = ContextVar("shared_read", default=None)


class ShopSession(AsyncSession):
    """A unit of work that knows the shop's rules (store.rules): hooks and policies travel with the session."""

    rules: ShopRules


def rowcount(result: Any) -> int:
    """The rows an UPDATE or DELETE changed (0 when the driver does not say)."""
    return int(getattr(result, "rowcount", 0) or 0)


class Database:
    def __init__(self, url: str, *, echo: bool = False, rules: ShopRules | None = None) -> None:
        from store.rules import standard_rules

        self.url = url
        self.rules = rules or standard_rules()
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = make_url(url).database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = _sqlite_engine(url, immediate=True, echo=echo)
            self.read_engine = _sqlite_engine(url, immediate=False, echo=echo, inline=True)
            self.scan_engine = _sqlite_engine(url, immediate=False, echo=echo)
        else:
            self.engine = create_async_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)
            self.read_engine = self.scan_engine = self.engine
        self._sessions = async_sessionmaker(self.engine, class_=ShopSession, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.read_engine, class_=ShopSession, expire_on_commit=False)
        self._scan_sessions = async_sessionmaker(self.scan_engine, class_=ShopSession, expire_on_commit=False)
        self._write_lock: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None
        self._after_commit: list[AfterCommitHook] = []

    def use_rules(self, rules: ShopRules) -> None:
        """The composition root hands over the rules built from config (before any unit of work runs)."""
        self.rules = rules

    @property
    def dialect(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"

    def on_after_commit(self, hook: AfterCommitHook) -> None:
        """Run `hook(session.info)` after each committed write (e.g. arm scheduler jobs, wake the outbox)."""
        self._after_commit.append(hook)

    @asynccontextmanager
    async def tx(self) -> AsyncIterator[AsyncSession]:
        """A write unit of work: commit on success, roll back on error."""
        lock: contextlib.AbstractAsyncContextManager[Any] = self._write_lock or contextlib.nullcontext()
        async with lock, self._sessions() as session:
            session.rules = self.rules
            async with session.begin():
                yield session
            info = dict(session.info)
        await self._fire_hooks(info)

    async def _fire_hooks(self, info: dict[str, Any]) -> None:
        if not info:
            return
        for hook in self._after_commit:
            try:
                await hook(info)
            except Exception:
                log.exception("after-commit hook failed")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A short read-only session: never blocked by the SQLite writer lock. On SQLite its statements run on
        the event loop's thread (store.sqlite_inline), so it is for indexed reads of a few rows; use `scan()`
        for anything that reads a table through."""
        shared = self._shared()
        if shared is not None:
            try:
                yield shared.session
            except BaseException:
                shared.usable = False
                raise
            return
        async with self._read_sessions() as session:
            session.rules = self.rules
            async with session.begin():
                yield session

    def _shared(self) -> _SharedRead | None:
        shared = _shared_read.get()
        if shared is not None and shared.usable and shared.db is self and shared.task is asyncio.current_task():
            return shared
        return None

    @asynccontextmanager
    async def read_together(self) -> AsyncIterator[None]:
        """Several short reads in a row as one read transaction: every `read()` of this task inside the block
        gets the same session. A product card reads its price, flash price, cart quantity, heart, suggestions
        and rating; as one transaction instead of six it costs about a third less CPU (begin, connection
        checkout and commit were most of each indexed read). Only for reads that do not depend on a write made
        inside the block (on SQLite the snapshot is taken at the first read) and never around a Bot API call
        (the connection stays checked out for the whole block)."""
        if self._shared() is not None:
            yield
            return
        async with self.read() as session:
            token = _shared_read.set(_SharedRead(self, session, asyncio.current_task()))
            try:
                yield
            finally:
                _shared_read.reset(token)

    @asynccontextmanager
    async def scan(self) -> AsyncIterator[AsyncSession]:
        """A long read-only session (index builds, reports, exports, recipient lists): on SQLite its statements
        run on aiosqlite's worker thread, so the event loop keeps answering while it reads."""
        async with self._scan_sessions() as session:
            session.rules = self.rules
            async with session.begin():
                yield session

    @property
    def engines(self) -> list[AsyncEngine]:
        """Every distinct engine (the write engine first), for disposal and for instrumentation in tests."""
        engines: list[AsyncEngine] = []
        for engine in (self.engine, self.read_engine, self.scan_engine):
            if engine not in engines:
                engines.append(engine)
        return engines

    async def dispose(self) -> None:
        for engine in self.engines:
            await engine.dispose()
