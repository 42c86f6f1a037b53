"""Restart time (issue 9 item 14): how long after a `python -m bot run` process is spawned does it answer the
updates that queued up while no bot was running?

A standalone emulator runs in this process; the bot is a real child process (`python -m bot run`, production
polling, TELEGRAM_BOT_TOKEN set, GROUPCART_TELEGRAM__API_BASE pointing at the emulator) on a SQLite store that
is created beforehand with 20,000 products. Each run kills the running bot with SIGKILL, queues a /start and a
button tap from a shopper, spawns a new process and times spawn -> answer for both (plus spawn -> first Bot API
call, i.e. the imports and the app build). With --standby a warm spare (`run --standby`) waits beside the active
process and the time is kill -> answer instead. Baseline, measured in the same run: `python -c "import aiogram"`,
the floor of any aiogram bot's start.

    .venv/bin/python -m benchmarks.restart            # 3 runs
    .venv/bin/python -m benchmarks.restart --standby  # plus the warm-spare take-over

Exits non-zero if an update goes unanswered, the emulator sent any error response, or a bot process logged an
error.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.emulator.client import EmulatorClient, UserHandle
from bot.emulator.config import EmulatorConfig
from bot.emulator.server import RunningEmulator, start_emulator

ROOT = Path(__file__).resolve().parent.parent
CATALOG = 20_000
ANSWER_TIMEOUT = 60.0
TARGET_SECONDS = 3.0


@dataclass
class Call:
    at: float
    method: str
    params: dict[str, Any]
    ok: bool


@dataclass
class CallLog:
    """Every Bot API call the emulator answers, stamped with this process's monotonic clock."""

    calls: list[Call] = field(default_factory=list)

    def install(self, running: RunningEmulator) -> None:
        emu = running.emulator
        record = emu.record_call

        def stamped(method: str, params: dict[str, Any], ok: bool, *args: Any, **kwargs: Any) -> None:
            self.calls.append(Call(time.monotonic(), method, dict(params), ok))
            record(method, params, ok, *args, **kwargs)

        emu.record_call = stamped  # type: ignore[method-assign]

    def first(self, since: float, match: Callable[[Call], bool]) -> Call | None:
        return next((c for c in self.calls if c.at >= since and match(c)), None)


def _env(token: str, api_base: str, database_url: str, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROUPCART_")}
    env.update(
        TELEGRAM_BOT_TOKEN=token,
        DATABASE_URL=database_url,
        PYTHONUNBUFFERED="1",
        GROUPCART_TELEGRAM__API_BASE=api_base,
        GROUPCART_TELEGRAM__POLLING_TIMEOUT="5",
        GROUPCART_PAYMENTS__INBOX_PATH=str(folder / "inbox.db"),
        GROUPCART_NLU__CACHE_DIR=str(folder / "nlu-cache"),
        GROUPCART_TELEGRAM__STANDBY_LOCK=str(folder / "run.lock"),
    )
    return env


class Bots:
    """The bot processes of the benchmark, each logging to its own file."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env = env
        self.folder = folder
        self.procs: list[subprocess.Popen[bytes]] = []

    def spawn(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.folder / f"bot-{len(self.procs)}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", *args], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill(proc)

    def errors(self) -> list[str]:
        found = []
        for path in sorted(self.folder.glob("bot-*.log")):
            in_traceback = False
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                if " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback"):
                    in_traceback = line.startswith("Traceback")
                    found.append(f"{path.name}: {line}")
                elif in_traceback and (line.startswith((" ", "\t")) or ":" in line[:60]):
                    found.append(f"{path.name}:   {line.strip()}")  # the traceback itself, to act on
                else:
                    in_traceback = False
        return found


@dataclass
class Sample:
    first_call: float  # spawn -> first Bot API call: imports and building the app
    start: float  # -> the /start answered
    tap: float  # -> the tap answered


async def _queue(client: EmulatorClient, user: UserHandle, welcome_id: int, data: str) -> str:
    """A /start and a tap on the welcome's first button, sent while no bot polls (they wait in the queue)."""
    await client.post("/control/send", {"user_id": user.id, "text": "/start", "wait": False})
    tapped = await client.post(
        "/control/tap_data", {"user_id": user.id, "message_id": welcome_id, "data": data, "wait": False}
    )
    return str(tapped["callback_query_id"])


async def _answers(log: CallLog, since: float, user: UserHandle, query_id: str) -> tuple[float, float, float]:
    def start(c: Call) -> bool:
        return c.method == "sendMessage" and c.ok and str(c.params.get("chat_id")) == str(user.id)

    def tap(c: Call) -> bool:
        return c.method == "answerCallbackQuery" and str(c.params.get("callback_query_id")) == query_id

    deadline = time.monotonic() + ANSWER_TIMEOUT
    while time.monotonic() < deadline:
        first, started, tapped = log.first(since, lambda c: True), log.first(since, start), log.first(since, tap)
        if first and started and tapped:
            if not tapped.ok:
                raise SystemExit(f"FAILED: the tap's answer was refused: {tapped.params}")
            return first.at - since, started.at - since, tapped.at - since
        await asyncio.sleep(0.01)
    raise SystemExit(f"FAILED: no answer within {ANSWER_TIMEOUT:.0f} s of the spawn")


async def _welcome(client: EmulatorClient, user: UserHandle) -> tuple[int, str]:
    async def found() -> Any:
        for message in reversed(await user.messages()):
            if message.from_bot and message.buttons:
                return message
        return None

    message = await client.wait_for(found, timeout=ANSWER_TIMEOUT)
    data = message.buttons[0][0].callback_data
    assert data, "the welcome's first button carries callback data"
    return message.message_id, data


async def _prepare_store(url: str) -> float:
    from benchmarks._stub import generate_catalog
    from store import migrations
    from store.db import Database

    started = time.perf_counter()
    db = Database(url)
    await migrations.upgrade(db)
    await generate_catalog(db, CATALOG)
    await db.dispose()
    return time.perf_counter() - started


def _import_baseline(runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import aiogram"], check=True, cwd=ROOT)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s (runs: {', '.join(f'{v:.2f}' for v in values)})"


async def main(runs: int, standby: bool) -> int:
    load = os.getloadavg()
    print(f"cores: {os.cpu_count()}, load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="groupcart-restart-") as tmp:
        folder = Path(tmp)
        url = f"sqlite+aiosqlite:///{folder / 'shop.db'}"
        took = await _prepare_store(url)
        print(f"store: SQLite, pre-created with {CATALOG:,} products ({took:.1f} s, not timed below)", flush=True)
        running = await start_emulator(EmulatorConfig())
        log = CallLog()
        log.install(running)
        client = EmulatorClient(running.base_url)
        bots = Bots(_env(running.token, running.base_url, url, folder), folder)
        failures: list[str] = []
        try:
            alice = await client.user("Alice", lang="en")
            # The first start ever also fills the classifier's cache; the restarts below find it.
            since = time.monotonic()
            proc = bots.spawn()
            await client.post("/control/send", {"user_id": alice.id, "text": "/start", "wait": False})
            welcome_id, data = await _welcome(client, alice)
            print(f"first start (empty caches): /start answered {time.monotonic() - since:.2f} s after spawn")
            samples: list[Sample] = []
            for _ in range(runs):
                await client.settle(ANSWER_TIMEOUT)
                bots.kill(proc)
                query_id = await _queue(client, alice, welcome_id, data)
                since = time.monotonic()
                proc = bots.spawn()
                samples.append(Sample(*await _answers(log, since, alice, query_id)))
            print("kill -9, then a new process (spawn -> answer):")
            print(f"  first Bot API call (imports + app) {_median([s.first_call for s in samples])}")
            print(f"  /start answered                     {_median([s.start for s in samples])}")
            print(f"  tap answered                        {_median([s.tap for s in samples])}")
            worst = max(max(s.start, s.tap) for s in samples)
            verdict = "within" if worst <= TARGET_SECONDS else "NOT within"
            print(f"  slowest answer {worst:.2f} s: {verdict} the {TARGET_SECONDS:.0f} s target")
            if standby:
                await client.settle(ANSWER_TIMEOUT)
                bots.kill(proc)
                takeovers = await _standby_runs(client, log, bots, alice, welcome_id, data, runs)
                print("warm spare (`run --standby`): kill -9 of the active process -> answer by the spare:")
                print(f"  /start answered                     {_median([s.start for s in takeovers])}")
                print(f"  tap answered                        {_median([s.tap for s in takeovers])}")
            await client.settle(ANSWER_TIMEOUT)
            # The killed process's long poll is still open at the emulator when the next process polls; the
            # emulator ends it with 409, written to a dead socket. A live process told 409 would log it, and
            # that counts below (bot logged), so only these are left out.
            errors = [
                e
                for e in running.emulator.error_responses()
                if not (e["method"] == "getUpdates" and e["error_code"] == 409)
            ]
            unanswered = running.emulator.unanswered_callbacks()
            if errors:
                failures.append(f"{len(errors)} error responses, e.g. {errors[0]}")
            if unanswered:
                failures.append(f"{len(unanswered)} unanswered callback queries")
        finally:
            bots.stop_all()
            await client.close()
            await running.stop()
        failures += [f"bot logged: {line}" for line in bots.errors()[:40]]
    baseline = _import_baseline(runs)
    print(f"baseline: python -c 'import aiogram' {baseline:.2f} s (median of {runs})")
    load = os.getloadavg()
    print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (a shared machine)")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


async def _standby_runs(
    client: EmulatorClient, log: CallLog, bots: Bots, user: UserHandle, welcome_id: int, data: str, runs: int
) -> list[Sample]:
    """Two `run --standby` processes: one polls, the other waits pre-imported. Each run kills the polling one
    (found by its getUpdates calls stopping) and starts a fresh spare, as a supervisor would."""
    active = bots.spawn("--standby")
    since = time.monotonic()
    await client.wait_for(lambda: log.first(since, lambda c: c.method == "getUpdates") is not None, timeout=60)
    spare = bots.spawn("--standby")
    samples = []
    for _ in range(runs):
        await client.wait_for(lambda: _is_waiting(bots.folder), timeout=60)
        await client.settle(ANSWER_TIMEOUT)
        bots.kill(active)
        query_id = await _queue(client, user, welcome_id, data)
        since = time.monotonic()
        samples.append(Sample(*await _answers(log, since, user, query_id)))
        active, spare = spare, bots.spawn("--standby")
    bots.kill(spare)
    return samples


def _is_waiting(folder: Path) -> bool:
    """The newest spare says it is ready (pre-imported, app built) in its log."""
    logs = sorted(folder.glob("bot-*.log"), key=lambda p: int(p.stem.split("-")[1]))
    return bool(logs) and "standing by" in logs[-1].read_text(encoding="utf-8", errors="replace")


def cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--standby", action="store_true", help="also time the take-over by a warm spare")
    args = parser.parse_args(argv)
    raise SystemExit(asyncio.run(main(args.runs, args.standby)))


if __name__ == "__main__":
    cli(sys.argv[1:])
