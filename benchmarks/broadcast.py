"""A broadcast to 10,000 shoppers through the emulator with the sending process killed (SIGKILL) part-way:

    .venv/bin/python -m benchmarks.broadcast                              # 10,000 recipients, SQLite, kill at 30%
    .venv/bin/python -m benchmarks.broadcast --backend postgres
    .venv/bin/python -m benchmarks.broadcast --recipients 300 --kill-at 0.5 --runs 1

Per run: a fresh database with `--recipients` reachable shoppers (their rows are pre-created in bulk, and the
emulator knows each of them as a user who opened the chat with the bot); the emulator as Telegram, with its
flood limits on (per chat ~1 msg/s with a burst of 3, 20 msgs/min per group, 30 msgs/s in total; every
refusal is an HTTP 429 it records); the bot as a real separate process (`groupcart run`, long polling against
the emulator), whose outbox sender delivers the broadcast. The broadcast is queued through the store's API as
the admin's Confirm does (store.broadcasts.send at ops.broadcast_per_second, without the live progress
message). Once `--kill-at` of the recipients have their message, the bot is killed with SIGKILL and started
again; the run ends when every recipient has one message, or when nothing arrived for `--stall` seconds.

Counted from what the emulator recorded: recipients with exactly one message, duplicates (messages beyond the
first to anyone), skipped recipients (no message), HTTP 429 answers (any error answer is printed), and the
achieved rate as a share of the configured one: messages/s over the sending time without the restart gap (first
message -> last before the kill, plus first after the restart -> last) and with it (first -> last). Exits 1 on
any duplicate, skip, 429, other error answer, or a rate (either figure) under 95% of the configured rate.

The restart gap is made up only by the outbox's headroom over the broadcast pace (outbox.per_second 20 against
ops.broadcast_per_second 15: 5 messages/s), so a small run (`--recipients 1000`) cannot reach 95% with the gap
counted; 10,000 recipients leave time to catch up. Telegram has no idempotency key: when the kill lands after
Telegram took a message and before the bot recorded it as sent, that one recipient gets it twice (the outbox
delivers at least once; tests/scale/test_broadcast_kill.py pins both sides of that moment).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python benchmarks/broadcast.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.flash_sale import database_url

ROOT = Path(__file__).resolve().parent.parent
FIRST_USER = 6_600_000
ADMIN_ID = 6_599_999  # not a shopper row: the admin is not among the recipients
TEXT = "Weekend market: fresh lychees are in.\n---\n周末市集：新鲜荔枝到货了。"
MIN_SHARE = 0.95


def bot_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROUPCART_") and k != "DATABASE_URL"}
    return {**env, "GROUPCART_CONFIG": str(ROOT / "config.yaml"), **extra}


def configured_rate() -> tuple[float, float]:
    """The broadcast pace (ops.broadcast_per_second) and the outbox's global pace (outbox.per_second)."""
    from bot.config import load_settings

    settings = load_settings(ROOT / "config.yaml")
    return float(settings.ops.broadcast_per_second), float(settings.outbox.per_second)


async def seed_shoppers(url: str, recipients: int) -> None:
    """The shoppers' rows, in bulk (as if they had all opened the chat before): reachable, not opted out."""
    from sqlalchemy import insert

    from store.db import Database
    from store.models import User, utcnow

    now = utcnow()
    db = Database(url)
    try:
        rows = [
            {
                "id": FIRST_USER + i,
                "first_name": f"shopper{i}",
                "language": "zh" if i % 3 == 0 else "en",
                "language_chosen": True,
                "created_at": now,
                "last_seen_at": now,
                "unreachable": False,
                "subscribed_flash": False,
                "checkin_reminder": False,
            }
            for i in range(recipients)
        ]
        async with db.tx() as session:
            for i in range(0, len(rows), 1000):
                await session.execute(insert(User), rows[i : i + 1000])
    finally:
        await db.dispose()


async def queue_broadcast(url: str, per_second: float) -> tuple[int, int]:
    """What the admin's Confirm does: a draft, then send() moves it to sending and writes the outbox rows."""
    from store import broadcasts
    from store.db import Database

    db = Database(url)
    try:
        draft = await broadcasts.create_draft(db, ADMIN_ID, "all", TEXT)
        count = await broadcasts.send(db, draft.id, ADMIN_ID, per_second)
        return draft.id, count
    finally:
        await db.dispose()


class BotProcess:
    """`groupcart run` (long polling) as a child process, its stderr kept for a failure report."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.proc: asyncio.subprocess.Process | None = None
        self.log: list[str] = []
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=self.env, stderr=asyncio.subprocess.PIPE
        )
        proc = self.proc

        async def read() -> None:
            assert proc.stderr is not None
            async for line in proc.stderr:
                self.log.append(line.decode(errors="replace"))

        self._reader = asyncio.create_task(read())

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no handler runs, nothing is flushed

    async def wait(self) -> None:
        if self.proc is not None:
            await self.proc.wait()
        if self._reader is not None:
            await asyncio.wait({self._reader}, timeout=5)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
        await self.wait()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None


async def run_one(
    recipients: int,
    kill_at: float,
    backend: str = "sqlite",
    *,
    stall: float = 240.0,
    startup_timeout: float = 300.0,
    progress: bool = False,
) -> dict[str, Any]:
    """One broadcast with one kill -9 and restart; the figures, and what went wrong (`problems`)."""
    from bot.emulator.server import EmulatorConfig, start_emulator

    per_second, outbox_per_second = configured_rate()
    bot_id = random.randint(10**9, 2 * 10**9)
    emulator = await start_emulator(EmulatorConfig(token=f"{bot_id}:BENCH-BROADCAST"))
    emu = emulator.emulator
    for i in range(recipients):
        emu.add_user(f"Shopper {i}", lang="en", user_id=FIRST_USER + i).started = True

    # Every message the bot got into a recipient's chat, when it arrived (recorded by the emulator's own post).
    arrivals: list[tuple[float, int]] = []
    polled = asyncio.Event()
    real_post = emu.post
    real_record = emu.record_call

    async def post(chat: Any, sender: Any, content: Any, **kwargs: Any) -> Any:
        stored = await real_post(chat, sender, content, **kwargs)
        if sender.id == emu.bot.id and chat.id >= FIRST_USER:
            arrivals.append((time.monotonic(), chat.id))
        return stored

    def record_call(method: str, params: Any, ok: bool, result: Any = None, error: Any = None) -> None:
        if method == "deleteWebhook":
            # The bot is up: run_polling calls it once the app is built and its outbox sender started. (Not
            # getUpdates: a call is recorded when it ends, and the killed process's long poll ends after the kill.)
            polled.set()
        real_record(method, params, ok, result, error)

    emu.post = post  # type: ignore[method-assign]
    emu.record_call = record_call  # type: ignore[method-assign]

    problems: list[str] = []
    result: dict[str, Any] = {"backend": backend, "recipients": recipients, "configured_per_second": per_second}
    with tempfile.TemporaryDirectory() as tmp:
        async with database_url(backend, Path(tmp)) as url:
            env = bot_env(
                TELEGRAM_BOT_TOKEN=emulator.token,
                GROUPCART_DATABASE__URL=url,
                GROUPCART_TELEGRAM__API_BASE=emulator.base_url,
            )
            bot = BotProcess(env)
            restarted = BotProcess(env)
            try:
                await bot.start()  # it also brings the fresh database to the newest schema
                await wait_polled(polled, bot, startup_timeout)
                t0 = time.monotonic()
                await seed_shoppers(url, recipients)
                _, queued = await queue_broadcast(url, per_second)
                result["queue_seconds"] = round(time.monotonic() - t0, 2)
                result["queued"] = queued

                kill_after = max(1, min(recipients - 1, round(recipients * kill_at)))
                await _wait_until(lambda: len(arrivals) >= kill_after, arrivals, bot, stall, progress, recipients)
                # A little later than the count itself, at an arbitrary point of the sender's cycle: waiting on
                # the arrival alone would kill it each time just after Telegram took a message.
                await asyncio.sleep(random.uniform(0.0, 2.0 / per_second))
                bot.kill9()
                killed_at = time.monotonic()
                await bot.wait()
                before_kill = len(arrivals)
                polled.clear()
                await restarted.start()
                await wait_polled(polled, restarted, startup_timeout)
                result["restart_ready_seconds"] = round(time.monotonic() - killed_at, 2)
                await _wait_until(lambda: len(arrivals) >= recipients, arrivals, restarted, stall, progress, recipients)
                await asyncio.sleep(1.0)  # anything more (a duplicate) that was on its way
            finally:
                await restarted.stop()
                await bot.stop()
                await emulator.stop()

    per_chat = Counter(chat for _, chat in arrivals)
    duplicates = sum(n - 1 for n in per_chat.values() if n > 1)
    skipped = recipients - len(per_chat)
    errors = emu.error_responses()
    too_many = sum(1 for e in errors if e["error_code"] == 429)
    # The killed process's long poll is still open when the restarted one polls: Telegram (and the emulator)
    # end the older getUpdates with 409 Conflict. That answer goes to a dead process, not to a send.
    poll_conflicts = [e for e in errors if e["method"] == "getUpdates" and e["error_code"] == 409]
    other_errors = [e for e in errors if e["error_code"] != 429 and e not in poll_conflicts]
    result["poll_conflicts_409"] = len(poll_conflicts)
    times = [at for at, _ in arrivals]
    first, last = (times[0], times[-1]) if times else (0.0, 0.0)
    before = [at for at in times if at <= killed_at]
    after = [at for at in times if at > killed_at]
    gap = (after[0] - before[-1]) if before and after else 0.0
    # The longest silence after the restart: a row the dead process had claimed and left waits here.
    pauses = [b - a for a, b in itertools.pairwise(after)]
    result["longest_pause_after_restart"] = round(max(pauses, default=0.0), 2)
    with_gap = last - first
    without_gap = with_gap - gap
    rate_with = len(arrivals) / with_gap if with_gap > 0 else 0.0
    rate_without = len(arrivals) / without_gap if without_gap > 0 else 0.0
    result.update(
        {
            "delivered": len(arrivals),
            "recipients_reached": len(per_chat),
            "before_kill": before_kill,
            "duplicates": duplicates,
            "duplicated_recipients": sorted(c for c, n in per_chat.items() if n > 1)[:10],
            "skipped": skipped,
            "errors_429": too_many,
            "other_errors": other_errors[:5],
            "other_error_count": len(other_errors),
            "seconds_with_gap": round(with_gap, 2),
            "seconds_without_gap": round(without_gap, 2),
            "gap_seconds": round(gap, 2),
            "per_second_without_gap": round(rate_without, 2),
            "per_second_with_gap": round(rate_with, 2),
            "share_without_gap": round(rate_without / per_second, 3),
            "share_with_gap": round(rate_with / per_second, 3),
            "outbox_per_second": outbox_per_second,
        }
    )
    if duplicates:
        problems.append(f"{duplicates} duplicate message(s), e.g. to {result['duplicated_recipients']}")
    if skipped:
        problems.append(f"{skipped} recipient(s) skipped (no message)")
    if too_many:
        problems.append(f"{too_many} HTTP 429 answer(s)")
    if other_errors:
        problems.append(f"{len(other_errors)} other error answer(s): {other_errors[:3]}")
    for label, share in (("without", result["share_without_gap"]), ("with", result["share_with_gap"])):
        if share < MIN_SHARE:
            problems.append(f"rate {label} the restart gap is {share:.1%} of the configured {per_second}/s (< 95%)")
    result["problems"] = problems
    if problems:
        result["bot_log_tail"] = "".join((restarted.log or bot.log)[-15:])
    return result


async def wait_polled(polled: asyncio.Event, bot: BotProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not polled.is_set():
        if not bot.alive or time.monotonic() > deadline:
            raise SystemExit("the bot did not start:\n" + "".join(bot.log[-30:]))
        await asyncio.sleep(0.1)


async def _wait_until(
    done: Any, arrivals: list[tuple[float, int]], bot: BotProcess, stall: float, progress: bool, total: int
) -> None:
    """Until `done()`; gives up (the figures then show what is missing) when nothing arrived for `stall` s."""
    seen, since, shown = len(arrivals), time.monotonic(), time.monotonic()
    while not done():
        if not bot.alive:
            raise SystemExit("the bot died:\n" + "".join(bot.log[-30:]))
        if len(arrivals) != seen:
            seen, since = len(arrivals), time.monotonic()
        elif time.monotonic() - since > stall:
            return
        if progress and time.monotonic() - shown > 30:
            shown = time.monotonic()
            print(f"    ... {len(arrivals)}/{total} delivered", flush=True)
        await asyncio.sleep(0.05)


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 0)


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _line(r: dict[str, Any]) -> str:
    return (
        f"{r['delivered']} messages to {r['recipients_reached']}/{r['recipients']} recipients "
        f"({r['before_kill']} before the kill -9); duplicates {r['duplicates']}, skipped {r['skipped']}, "
        f"429s {r['errors_429']}, other errors {r['other_error_count']} (getUpdates 409 of the killed poll: "
        f"{r['poll_conflicts_409']}); "
        f"{r['per_second_without_gap']}/s without the restart gap ({r['share_without_gap']:.1%} of "
        f"{r['configured_per_second']}/s), {r['per_second_with_gap']}/s with it ({r['share_with_gap']:.1%}); "
        f"gap {r['gap_seconds']} s (the restarted bot's sender running {r['restart_ready_seconds']} s after the kill), "
        f"sending {r['seconds_with_gap']} s, queueing {r['queue_seconds']} s; longest pause after the restart "
        f"{r['longest_pause_after_restart']} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--kill-at", type=float, default=0.3, help="share delivered when the bot is killed")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--stall", type=float, default=240.0, help="give up after this many seconds with no message")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 0 < args.kill_at < 1:
        parser.error("--kill-at must be between 0 and 1")
    import logging

    logging.basicConfig(level=logging.WARNING)
    if args.one:
        result = asyncio.run(run_one(args.recipients, args.kill_at, args.backend, stall=args.stall, progress=True))
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    per_second, outbox_per_second = configured_rate()
    print(
        f"cores: {cores()} (os.cpu_count={os.cpu_count()}), python {sys.version.split()[0]}, load {load()}\n"
        f"{args.recipients} recipients (pre-created shopper rows, bulk insert), {args.backend}, kill -9 at "
        f"{args.kill_at:.0%} delivered; configured: ops.broadcast_per_second {per_second}/s "
        f"(outbox.per_second {outbox_per_second}/s); emulator flood limits on (30 msgs/s, ~1/s per chat)",
        flush=True,
    )
    results: list[dict[str, Any]] = []
    crashed = 0
    for n in range(args.runs):
        # Each run in its own interpreter, so one run's leftovers (loop, emulator state) never weigh on the next.
        command = [sys.executable, "-m", "benchmarks.broadcast", "--one", "--recipients", str(args.recipients)]
        command += ["--kill-at", str(args.kill_at), "--backend", args.backend, "--stall", str(args.stall)]
        proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        found = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
        if proc.returncode != 0 or not found:
            crashed += 1
            print(f"run {n + 1}: crashed (rc {proc.returncode}):\n{proc.stdout[-1500:]}\n{proc.stderr[-3000:]}")
            continue
        result = json.loads(found[-1][len("RESULT ") :])
        results.append(result)
        print(f"run {n + 1} (load {load()}): {_line(result)}", flush=True)
        for problem in result["problems"]:
            print(f"  FAIL: {problem}", flush=True)
        if result["problems"]:
            print("  bot log (tail):\n" + result.get("bot_log_tail", ""), flush=True)
    if len(results) > 1:

        def med(key: str) -> float:
            return round(statistics.median(r[key] for r in results), 3)

        print(
            f"medians of {len(results)} runs: {med('per_second_without_gap')}/s without the gap "
            f"({med('share_without_gap'):.1%}), {med('per_second_with_gap')}/s with it ({med('share_with_gap'):.1%}), "
            f"gap {med('gap_seconds')} s, sending {med('seconds_with_gap')} s; duplicates "
            f"{[r['duplicates'] for r in results]}, skipped {[r['skipped'] for r in results]}, "
            f"429s {[r['errors_429'] for r in results]}"
        )
    print(f"load at the end: {load()}")
    failed = crashed + sum(bool(r["problems"]) for r in results)
    print("OK" if not failed else f"FAILED: {failed} run(s) with a problem")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
