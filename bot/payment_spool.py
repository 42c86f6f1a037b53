"""The payment inbox's durable spool: a small SQLite file on local disk, apart from the shop database.

Telegram charges the buyer before the bot hears about it, so a `successful_payment` (or `refunded_payment`)
update is written here, and fsync'd, before anything else may fail: the shop database or Redis can be down,
the spool only needs the local disk. An entry leaves the spool once the shop database recorded it; until
then the inbox retries it, also after a restart. Several processes may share one file (SQLite locks it);
recording is idempotent by the Telegram charge id, so an entry processed twice is harmless.

Calls are synchronous on purpose: a write takes a few milliseconds, payments are rare, and the polling loop
must have the entry on disk before it asks Telegram for the next updates (which acknowledges this one).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS payment_inbox (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    update_json TEXT NOT NULL,
    user_id INTEGER,
    order_id INTEGER,
    received_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    buyer_told INTEGER NOT NULL DEFAULT 0,
    admins_told INTEGER NOT NULL DEFAULT 0
)
"""


@dataclass(frozen=True)
class SpoolEntry:
    key: str
    kind: str  # successful_payment | refunded_payment
    update: dict[str, Any]
    user_id: int | None
    order_id: int | None
    attempts: int
    next_attempt_at: float
    last_error: str | None
    buyer_told: bool
    admins_told: bool


class PaymentSpool:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        # FULL: every commit reaches the disk before it returns; that is the whole point of the spool.
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def put(
        self,
        key: str,
        kind: str,
        update: dict[str, Any],
        *,
        user_id: int | None,
        order_id: int | None,
        not_before: float,
    ) -> bool:
        """Write an entry durably; False when it is already there (Telegram delivered it again)."""
        with self._lock:
            cursor = self._conn.execute(
                "INSERT OR IGNORE INTO payment_inbox (key, kind, update_json, user_id, order_id, received_at,"
                " next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (key, kind, json.dumps(update), user_id, order_id, time.time(), not_before),
            )
            return cursor.rowcount == 1

    def get(self, key: str) -> SpoolEntry | None:
        rows = self._select("WHERE key = ?", (key,))
        return rows[0] if rows else None

    def due(self, now: float, limit: int = 50) -> list[SpoolEntry]:
        return self._select("WHERE next_attempt_at <= ? ORDER BY received_at LIMIT ?", (now, limit))

    def all(self) -> list[SpoolEntry]:
        return self._select("ORDER BY received_at", ())

    def next_due(self) -> float | None:
        with self._lock:
            row = self._conn.execute("SELECT MIN(next_attempt_at) FROM payment_inbox").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def failed(self, key: str, next_attempt_at: float, error: str) -> int:
        """Count a failed attempt; returns the number of attempts so far."""
        with self._lock:
            self._conn.execute(
                "UPDATE payment_inbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE key = ?",
                (next_attempt_at, error[:2000], key),
            )
            row = self._conn.execute("SELECT attempts FROM payment_inbox WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def mark(self, key: str, *, buyer_told: bool | None = None, admins_told: bool | None = None) -> None:
        with self._lock:
            if buyer_told is not None:
                self._conn.execute("UPDATE payment_inbox SET buyer_told = ? WHERE key = ?", (int(buyer_told), key))
            if admins_told is not None:
                self._conn.execute("UPDATE payment_inbox SET admins_told = ? WHERE key = ?", (int(admins_told), key))

    def make_all_due(self, now: float) -> None:
        """At start-up: whatever a previous process left behind is retried at once."""
        with self._lock:
            self._conn.execute("UPDATE payment_inbox SET next_attempt_at = ? WHERE next_attempt_at > ?", (now, now))

    def remove(self, key: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM payment_inbox WHERE key = ?", (key,))

    def _select(self, where: str, params: tuple[Any, ...]) -> list[SpoolEntry]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, kind, update_json, user_id, order_id, attempts, next_attempt_at, last_error,"
                f" buyer_told, admins_told FROM payment_inbox {where}",
                params,
            ).fetchall()
        return [
            SpoolEntry(
                key=row[0],
                kind=row[1],
                update=json.loads(row[2]),
                user_id=row[3],
                order_id=row[4],
                attempts=int(row[5]),
                next_attempt_at=float(row[6]),
                last_error=row[7],
                buyer_told=bool(row[8]),
                admins_told=bool(row[9]),
            )
            for row in rows
        ]
