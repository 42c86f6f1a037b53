"""Fixtures for the emulator tests: a running emulator, a raw Bot API caller, and a raw control caller."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.emulator.client import EmulatorClient
from bot.emulator.server import EmulatorConfig, RunningEmulator, start_emulator

FAST = 0.02  # time_scale for tests: a real wait for the bot (pre-checkout, webhook backoff) of 1 s lasts 20 ms


class Harness:
    """Speaks raw HTTP: `call` is the bot's side (Bot API), `control` the users' side (no settle waiting)."""

    def __init__(self, running: RunningEmulator, session: aiohttp.ClientSession) -> None:
        self.running = running
        self.emu = running.emulator
        self.session = session
        self.base = running.base_url
        self.api = running.api_url
        self.offset: int | None = None

    async def call(self, method: str, encoding: str = "json", files: dict[str, tuple[str, bytes, str]] | None = None,
                   **params: Any) -> tuple[int, dict[str, Any]]:
        url = f"{self.api}/{method}"
        if encoding == "json":
            resp_ctx = self.session.post(url, json=params)
        elif encoding == "query":
            query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
            resp_ctx = self.session.get(url, params=query)
        elif encoding == "form":
            form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
            resp_ctx = self.session.post(url, data=form)
        else:
            data = aiohttp.FormData()
            for key, value in params.items():
                data.add_field(key, value if isinstance(value, str) else json.dumps(value))
            for key, (filename, content, content_type) in (files or {}).items():
                data.add_field(key, content, filename=filename, content_type=content_type)
            resp_ctx = self.session.post(url, data=data)
        async with resp_ctx as resp:
            assert resp.content_type == "application/json"
            return resp.status, await resp.json()

    async def ok(self, method: str, **params: Any) -> Any:
        status, body = await self.call(method, **params)
        assert status == 200 and body["ok"] is True, body
        return body["result"]

    async def error(self, method: str, **params: Any) -> dict[str, Any]:
        status, body = await self.call(method, **params)
        assert body["ok"] is False, body
        assert status == body["error_code"]
        return body

    async def control(self, path: str, body: dict[str, Any] | None = None, expect: int = 200) -> Any:
        payload = {"wait": False, **(body or {})}
        async with self.session.post(f"{self.base}/control/{path}", json=payload) as resp:
            data = await resp.json()
            assert resp.status == expect, data
            return data

    async def get(self, path: str, **params: Any) -> Any:
        async with self.session.get(f"{self.base}/control/{path}", params=params) as resp:
            return await resp.json()

    async def user(self, name: str = "Alice", started: bool = True, **extra: Any) -> dict[str, Any]:
        user = await self.control("users", {"name": name, **extra})
        if started:
            await self.control("send", {"user_id": user["id"], "text": "/start"})
            await self.drain()
        return dict(user)

    async def group(self, members: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        chat = await self.control("chats", {"type": "group", "title": "Neighbours",
                                            "members": [m["id"] for m in members], **extra})
        await self.drain()
        return dict(chat)

    async def poll_arrived(self, since: int) -> None:
        """Wait until a getUpdates call after the `since`-th one has reached the emulator (a condition, not a
        number of seconds: under load the request may take long to arrive)."""
        while self.emu.queue.polls_received <= since:
            await asyncio.sleep(0.005)

    async def event_poll_arrived(self, since: int) -> None:
        """The same for a long poll of /control/events."""
        while self.emu.event_polls_received <= since:
            await asyncio.sleep(0.005)

    async def updates(self, **params: Any) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.ok("getUpdates", **params)
        return result

    async def drain(self) -> list[dict[str, Any]]:
        """Fetch everything pending and confirm it, as a bot would."""
        got = await self.updates(timeout=0)
        if got:
            await self.updates(offset=got[-1]["update_id"] + 1, timeout=0)
        return got


@pytest.fixture
async def running() -> AsyncIterator[RunningEmulator]:
    # Frozen: flood windows and answer deadlines count only the time a test lets pass (h.emu.clock.advance), so
    # no test depends on how many calls the machine manages within a (scaled) second.
    instance = await start_emulator(EmulatorConfig(time_scale=FAST, frozen_clock=True))
    try:
        yield instance
    finally:
        await instance.stop()


@pytest.fixture
async def h(running: RunningEmulator) -> AsyncIterator[Harness]:
    async with aiohttp.ClientSession() as session:
        yield Harness(running, session)


@pytest.fixture
async def sb(running: RunningEmulator) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(running.base_url, settle_timeout=5) as client:
        yield client


def png(width: int = 320, height: int = 200) -> bytes:
    from bot.emulator.files import placeholder_png

    return placeholder_png(width, height)
