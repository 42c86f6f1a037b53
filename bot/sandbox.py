"""The local sandbox: the Bot API emulator, the real bot pointed at it, an SQLite store with the demo
catalog, and the web chat page. Tests and benchmarks use `start_stack` too, so they run exactly what a
newcomer runs."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot import warmup
from bot.app import App, create_app
from bot.config import Settings
from bot.emulator.client import EmulatorClient, UserHandle
from bot.emulator.control import TOKEN_HEADER
from bot.emulator.server import EmulatorConfig, RunningEmulator, start_emulator
from bot.in_flight import InFlight
from bot.runner import prepare, run_polling
from store import catalog, migrations, users
from store.db import Database

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).parent / "emulator" / "web"
SANDBOX_PROVIDER_TOKEN = "TEST:sandbox-provider"
TOKEN_ENV = "GROUPCART_SANDBOX_TOKEN"

# name, Telegram language, role granted in the shop
DEMO_USERS = (
    ("Alice", "en", None),
    ("李雷", "zh-hans", None),
    ("Lena", "en", "leader"),
    ("Sam", "en", "support"),
    ("Ada", "en", "admin"),
)


@dataclass
class Stack:
    emulator: RunningEmulator
    client: EmulatorClient
    app: App
    polling: asyncio.Task[None]
    stop_event: asyncio.Event
    people: dict[str, UserHandle] = field(default_factory=dict)
    chats: dict[str, Any] = field(default_factory=dict)
    http: aiohttp.ClientSession | None = None  # the client's, when it must carry the control token

    @property
    def settings(self) -> Settings:
        return self.app.ctx.settings

    @property
    def db(self) -> Database:
        return self.app.ctx.db

    async def restart_bot(self) -> None:
        """The bot process stops and a new one starts on the same database and settings, as after a deploy or a
        crash: nothing the old one kept in memory survives."""
        self.stop_event.set()
        await asyncio.wait_for(self.polling, timeout=10)
        await self.app.close()
        app = await create_app(self.settings, self.emulator.token, migrate=True)
        await prepare(app)
        self.app, self.stop_event = app, asyncio.Event()
        report_handling(self.emulator, app)
        self.polling = asyncio.create_task(run_polling(app, self.stop_event))

    async def stop(self) -> None:
        self.stop_event.set()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(self.polling, timeout=10)
        await self.app.close()
        await self.client.close()
        if self.http is not None:
            await self.http.close()
        await self.emulator.stop()


def _with(settings: Settings, **sections: dict[str, Any]) -> Settings:
    updated = settings.model_copy(deep=True)
    for section, values in sections.items():
        current = getattr(updated, section)
        setattr(updated, section, current.model_copy(update=values))
    updated.secrets = settings.secrets.model_copy()
    return updated


async def start_stack(
    settings: Settings,
    *,
    database_url: str,
    host: str = "127.0.0.1",
    port: int = 0,
    emulator_config: EmulatorConfig | None = None,
    seed_demo: bool = False,
    demo_people: bool = False,
    handle_as_tasks: bool = True,
    background: bool = True,
    await_warm_up: bool = True,
) -> Stack:
    """Emulator + migrated database + the real bot polling it, with production's `handle_as_tasks=True`
    (updates handled concurrently). The bot tells the emulator while it is still handling updates it has
    confirmed, so a user action returns once the bot has finished with it either way.
    `await_warm_up=False` starts polling while the search index and classifier are still being built, as
    `groupcart run` does; by default tests get the full index from their first search."""
    config = emulator_config or EmulatorConfig()
    emulator = await start_emulator(config, host=host, port=port)
    http = None
    if config.control_token:
        http = aiohttp.ClientSession(
            headers={TOKEN_HEADER: config.control_token}, timeout=aiohttp.ClientTimeout(total=None)
        )
    client = EmulatorClient(emulator.base_url, session=http)
    app_settings = _with(
        settings,
        telegram={"api_base": emulator.base_url, "polling_timeout": 1},
        database={"url": database_url},
    )
    if not app_settings.secrets.payment_provider_token:
        app_settings.secrets.payment_provider_token = SANDBOX_PROVIDER_TOKEN
    db = Database(database_url)
    await migrations.upgrade(db)
    # The emulator just started keeps its files in memory: photo ids cached by an earlier run on this database
    # would all be refused (400 "wrong file identifier") before each card uploads its photo again.
    forgotten = await catalog.forget_photo_file_ids(db)
    if forgotten:
        log.info("forgot %d product photo file ids from a previous emulator", forgotten)
    if seed_demo:
        await seed_demo_catalog(db)
    app = await create_app(app_settings, emulator.token, db=db, migrate=False, resolve_username=True)
    if app.ctx.etiquette is not None:
        # One world, one clock: the bot paces its sends by the time the emulated Telegram counts its limits in
        # (a test may let emulated time pass faster than the machine's, or only when it says so).
        clock = emulator.emulator.clock

        async def let_time_pass(seconds: float) -> None:
            clock.advance(seconds / clock.scale)
            await asyncio.sleep(0)

        app.ctx.etiquette.use_clock(clock.now, let_time_pass if clock.frozen else None)
    report_handling(emulator, app)
    if background:
        await prepare(app)
        if await_warm_up:
            await warmup.wait(app)
    stop_event = asyncio.Event()
    polling = asyncio.create_task(run_polling(app, stop_event, handle_as_tasks=handle_as_tasks))
    stack = Stack(emulator, client, app, polling, stop_event, http=http)
    if demo_people:
        # After the bot polls: the emulator waits for the bot to take each update these actions produce.
        await _create_demo_people(stack)
    return stack


def report_handling(emulator: RunningEmulator, app: App) -> None:
    """Let the emulator see when `app` is still handling updates it has confirmed (call again for a new app
    polling the same emulator)."""
    in_flight = getattr(app.dp, "in_flight", None)
    if isinstance(in_flight, InFlight):
        queue = emulator.emulator.queue
        queue.bot_busy = lambda: in_flight.busy
        in_flight.on_idle.append(queue.wake)


async def _create_demo_people(stack: Stack) -> None:
    client, people = stack.client, stack.people
    for name, lang, role in DEMO_USERS:
        people[name] = await client.user(name, lang=lang)
        if role is not None:
            await users.grant_role(stack.db, people[name].id, role)
    shoppers = [people[name] for name, _, _ in DEMO_USERS]
    stack.chats["group"] = await client.group("Neighbours", members=shoppers, bot_admin=True)
    support = await client.group(
        "groupcart Support", members=[people["Sam"], people["Ada"]], bot_admin=True, supergroup=True, forum=True
    )
    stack.chats["support"] = support
    stack.settings.support.chat_id = support.id


async def seed_demo_catalog(db: Database) -> None:
    try:
        from store import seed
    except ImportError:  # the demo catalog module arrives with the catalog feature
        log.warning("no demo catalog available")
        return
    await seed.seed_demo_catalog(db)


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def remote_access(settings: Settings, host: str, allow_remote: bool) -> tuple[str | None, str | None]:
    """(control token, refusal). The sandbox's control API can act as any user and read every chat, and its Bot
    API token is public: bound beyond loopback it must be asked for explicitly, and then it needs a token."""
    if is_loopback(host):
        return None, None
    if not (allow_remote or settings.sandbox.allow_remote):
        return None, (
            f"groupcart: refusing to expose the sandbox on {host}: its control API lets anyone who reaches it act "
            "as any user and read every chat. Use --host 127.0.0.1, or pass --allow-remote (config "
            "sandbox.allow_remote) to expose it behind a token (GROUPCART_SANDBOX_TOKEN, or one generated now)."
        )
    return os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(24), None


async def run_sandbox(
    settings: Settings, *, host: str | None, port: int | None, data_dir: str | None, allow_remote: bool = False
) -> int:
    bind = host or settings.sandbox.host
    token, refusal = remote_access(settings, bind, allow_remote)
    if refusal is not None:
        print(refusal, file=sys.stderr, flush=True)
        return 2
    folder = Path(data_dir or settings.sandbox.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite+aiosqlite:///{(folder / 'sandbox.db').resolve()}"
    emulator_config = EmulatorConfig(web_dir=WEB_DIR, control_token=token)
    if token is not None:
        # The default bot token is printed in the docs: whoever knew it could read the bot's updates.
        emulator_config.token = f"{emulator_config.bot_id}:{secrets.token_urlsafe(24)}"
    stack = await start_stack(
        settings,
        database_url=url,
        host=bind,
        port=settings.sandbox.port if port is None else port,
        emulator_config=emulator_config,
        seed_demo=True,
        demo_people=True,
    )
    if token is None:
        print(f"groupcart sandbox: open {stack.emulator.base_url} in your browser", flush=True)
    else:
        print(f"groupcart sandbox: open {stack.emulator.base_url}/#token={token} in your browser", flush=True)
        print(
            f"  WARNING: listening on {bind}, reachable from other machines; the link's token is the only guard"
            f" (control API header {TOKEN_HEADER})",
            flush=True,
        )
    print("  (no TELEGRAM_BOT_TOKEN set: the bot talks to the local Telegram emulator; Ctrl+C stops)", flush=True)
    try:
        await stack.polling
    finally:
        await stack.stop()
    return 0
