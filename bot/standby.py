"""`groupcart run --standby`: a warm spare. Starting a bot process costs seconds (importing aiogram alone builds
~2 s of pydantic schemas, and aiogram's own `model_rebuild` of every type at import overrides pydantic's
`defer_build`), while Telegram gives a tapped button 15 s and a shopper less patience. So two (or more) processes
run on the host, each started with `--standby`; each imports everything and builds its app (schema checked,
dispatcher, search index and classifier warm-up), then tries an exclusive lock on one file. The holder polls;
the others wait. The kernel releases the lock the moment its holder dies, even by `kill -9`, and a spare then
takes over within a poll of the lock (LOCK_POLL_SECONDS) plus the few Bot API calls of `prepare()`.

Only one process ever polls (Telegram would answer a second getUpdates with 409 Conflict), and a supervisor
(systemd `Restart=always`, Docker's restart policy) restarts the dead one, which becomes the new spare."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_POLL_SECONDS = 0.05


def default_lock_path(token: str) -> Path:
    bot_id = token.split(":", 1)[0] or "bot"
    return Path(tempfile.gettempdir()) / f"groupcart-{bot_id}.lock"


class RunLock:
    """An exclusive flock(2) on a file: held for the life of the polling process, released by the kernel when
    that process ends, however it ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    async def acquire(self, stop: asyncio.Event | None = None) -> bool:
        """Wait for the lock (polling it: no thread left blocked in flock when the spare is stopped); False if
        `stop` was set first."""
        while not self.try_acquire():
            if stop is not None and stop.is_set():
                return False
            await asyncio.sleep(LOCK_POLL_SECONDS)
        return True

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
