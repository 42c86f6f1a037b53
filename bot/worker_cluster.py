"""`groupcart run --webhook --workers N` as a child process driven from code: the scale tests and
benchmarks/workers.py start, watch, address, kill and stop workers through this one helper.

Every worker listens on the shared webhook port (the kernel picks one per connection) and on a port of its own
(bot/workers.py: own_port), so a caller can deliver an update to a chosen worker."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from bot.workers import WORKER_INDEX_FLAG, own_port_of

ROOT = Path(__file__).resolve().parent.parent
LISTENING = "webhook listening"


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any GROUPCART_* or DATABASE_URL of the caller's, the repository's config.yaml,
    and `extra` (e.g. bot.workers.webhook_env(...))."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROUPCART_") and k != "DATABASE_URL"}
    return {**env, "GROUPCART_CONFIG": str(ROOT / "config.yaml"), **extra}


async def forget(redis: Any, prefix: str) -> None:
    """Delete every Redis key under `prefix` (a bot id's update ledger or flash counters from an earlier run)."""
    names = [name async for name in redis.scan_iter(match=f"{prefix}*")]
    if names:
        await redis.delete(*names)


def free_port_block(count: int) -> int:
    """A port P such that P .. P+count-1 are free now (the webhook port and each worker's own port), below the
    kernel's ephemeral range: a port from that range can be taken between the check and the worker's bind by any
    outgoing connection (the workers' own PostgreSQL and Redis connections included)."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(10_000, max(10_001, low - count))
        if all(_bindable(port) for port in range(base, base + count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports below {low}")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def children(pid: int) -> list[int]:
    """The child processes of `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def _worker_index(pid: int) -> int | None:
    try:
        argv = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    flag = WORKER_INDEX_FLAG.encode()
    return int(argv[argv.index(flag) + 1]) if flag in argv else None


class LocalWorkers:
    """The supervisor of `workers` worker processes, with its log (stderr) collected line by line."""

    def __init__(self, env: dict[str, str], workers: int, port: int, *, args: tuple[str, ...] = ()) -> None:
        self.env = env
        self.workers = workers
        self.port = port
        self.args = args
        self.proc: asyncio.subprocess.Process | None = None
        self.log: list[str] = []
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LocalWorkers:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self, timeout: float = 180) -> None:
        """Start the supervisor and wait until every worker listens (its schema upgrade comes first)."""
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--webhook", "--workers", str(self.workers), *self.args,
            cwd=ROOT, env=self.env, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        self._reader = asyncio.create_task(self._read_log())
        await self.wait_listening(self.workers, timeout)

    async def _read_log(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        async for line in self.proc.stderr:
            self.log.append(line.decode(errors="replace"))

    def tail(self, lines: int = 30) -> str:
        return "".join(self.log[-lines:])

    async def wait_listening(self, count: int, timeout: float = 180) -> None:
        """Until `count` "webhook listening" lines were logged in all (a restarted worker logs one more)."""
        deadline = time.monotonic() + timeout
        while sum(LISTENING in line for line in self.log) < count:
            if time.monotonic() > deadline or self.proc is None or self.proc.returncode is not None:
                raise AssertionError(f"{count} worker start(s) not seen:\n{self.tail()}")
            await asyncio.sleep(0.1)

    def pids(self) -> dict[int, int]:
        """Worker index -> pid of the workers running now (one process without --workers 2+: index 0)."""
        assert self.proc is not None
        if self.workers <= 1:
            return {0: self.proc.pid}
        found = {}
        for pid in children(self.proc.pid):
            index = _worker_index(pid)
            if index is not None:
                found[index] = pid
        return found

    def hook_url(self, index: int | None = None) -> str:
        """The webhook on the shared port (any worker), or on worker `index`'s own port."""
        port = self.port if index is None or self.workers <= 1 else own_port_of(self.port, index)
        return f"http://127.0.0.1:{port}/hook"

    def kill(self, index: int) -> int:
        """SIGKILL worker `index` (the supervisor starts a new one a second later); its pid."""
        pid = self.pids()[index]
        os.kill(pid, signal.SIGKILL)
        return pid

    def traceback(self) -> str | None:
        """The first traceback in the log, with some context, or None."""
        text = "".join(self.log)
        if "Traceback" not in text:
            return None
        return text[max(0, text.index("Traceback") - 300) :][:6000]

    async def stop(self, timeout: float = 60) -> int | None:
        """SIGTERM the supervisor (it stops the workers), SIGKILL after `timeout`; its exit code."""
        proc = self.proc
        if proc is not None and proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        if self._reader is not None:
            # The log up to the end: the reader finishes at EOF once the supervisor and its workers are gone.
            try:
                await asyncio.wait_for(self._reader, 5)
            except TimeoutError:
                self._reader.cancel()
        return None if proc is None else proc.returncode
