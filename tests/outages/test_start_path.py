"""Issue 9 item 14, structurally: what a restarted bot imports before it answers. A real `python -m bot run`
process answers a queued /start; at that moment its sys.modules must not hold what the first answer does not
need (Alembic when the schema is at head, the other CLI commands, the emulator, the NLU and plotting libraries).
Re-adding an eager import of any of them makes this fail, however fast the machine.

The search index and classifier builds are started in the background by warmup.start, which may import the
NLU libraries whenever it likes: the probe records that start() was called and does not run it, so what is
checked is the path to the first answer itself."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.emulator.client import EmulatorClient
from bot.emulator.config import EmulatorConfig
from bot.emulator.server import start_emulator
from store import migrations
from store.db import Database
from tests.conftest import ROOT

HEAVY = (
    "alembic",
    "mako",
    "sklearn",
    "scipy",
    "jieba",
    "opencc",
    "pypinyin",
    "matplotlib",
    "tqdm",
    "bot.emulator",
    "bot.sandbox",
    "bot.cli.db",
    "bot.cli.catalog",
    "bot.cli.nlu",
    "bot.cli.admin",
)

# Runs `groupcart run`; SIGUSR1 writes sys.modules to $PROBE_OUT.
PROBE = """
import os, signal, sys
def dump(*_):
    with open(os.environ["PROBE_OUT"] + ".tmp", "w") as out:
        out.write("\\n".join(sorted(sys.modules)))
    os.replace(os.environ["PROBE_OUT"] + ".tmp", os.environ["PROBE_OUT"])
signal.signal(signal.SIGUSR1, dump)
import bot.warmup
def held(app):
    app.warm_up_tasks = []
    print("warm-up start requested", flush=True)
bot.warmup.start = held
from bot.cli import main
sys.exit(main(["run"]))
"""


def _env(token: str, api_base: str, url: str, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROUPCART_")}
    env.update(
        TELEGRAM_BOT_TOKEN=token,
        DATABASE_URL=url,
        PYTHONUNBUFFERED="1",
        PROBE_OUT=str(folder / "modules.txt"),
        GROUPCART_TELEGRAM__API_BASE=api_base,
        GROUPCART_TELEGRAM__POLLING_TIMEOUT="1",
        GROUPCART_PAYMENTS__INBOX_PATH=str(folder / "inbox.db"),
        GROUPCART_NLU__CACHE_DIR=str(folder / "nlu-cache"),
    )
    return env


def _spawn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-c", PROBE], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


@pytest.mark.timeout(180)
async def test_first_answer_loads_no_heavy_module(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    db = Database(url)
    await migrations.upgrade(db)  # at head: the bot must see that without Alembic
    await db.dispose()
    emulator = await start_emulator(EmulatorConfig(flood_limits=False))
    client = EmulatorClient(emulator.base_url)
    proc = _spawn(_env(emulator.token, emulator.base_url, url, tmp_path), tmp_path / "bot.log")
    try:
        alice = await client.user("Alice", lang="en")
        await client.post("/control/send", {"user_id": alice.id, "text": "/start", "wait": False})

        async def answered() -> bool:
            return any(m.from_bot for m in await alice.messages())

        await client.wait_for(answered, timeout=120)
        proc.send_signal(signal.SIGUSR1)
        out = tmp_path / "modules.txt"
        await client.wait_for(out.exists, timeout=30)
        loaded = set(out.read_text().split())
        assert "aiogram" in loaded and "bot.runner" in loaded  # the probe saw the real start path
        heavy = sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY))
        assert heavy == [], f"imported before the first answer: {heavy}"
        assert "warm-up start requested" in (tmp_path / "bot.log").read_text()
        assert await client.error_responses() == []
    finally:
        proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(proc.wait)
        await client.close()
        await emulator.stop()


def test_head_read_from_the_files_is_alembics_head() -> None:
    assert migrations.head_from_files() == migrations.revisions()[-1]


def test_upgrade_at_head_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
    code = f"""
import asyncio, sys
from store import migrations
from store.db import Database
async def main():
    db = Database({url!r})
    await migrations.upgrade(db)
    first = "alembic" in sys.modules
    for name in [m for m in sys.modules if m == "alembic" or m.startswith(("alembic.", "mako"))]:
        del sys.modules[name]
    await migrations.upgrade(db)
    await db.dispose()
    print(first, "alembic" in sys.modules)
asyncio.run(main())
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    # A new database is migrated by Alembic; the next start finds it at head and never loads Alembic.
    assert result.stdout.split() == ["True", "False"]
