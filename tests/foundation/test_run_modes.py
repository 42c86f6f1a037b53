"""`groupcart run`: the sandbox starts and stops cleanly on SIGTERM; webhook mode refuses requests without the
secret header; an invalid config stops start-up naming the key."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp

from bot.app import create_app
from bot.config import Settings
from bot.runner import run_webhook
from tests.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_sandbox_starts_prints_url_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--port", str(port), "--data-dir", str(tmp_path)],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:
            seen.append(line)
            if f"http://127.0.0.1:{port}" in line:
                break
        assert any(f"http://127.0.0.1:{port}" in line for line in seen), "".join(seen)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (tmp_path / "sandbox.db").exists()


def test_invalid_config_stops_start_up_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("orders:\n  reservation_minutes: -5\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "db", "current"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "orders.reservation_minutes" in result.stderr


async def test_webhook_refuses_requests_without_the_secret(settings: Settings, tmp_path: Path) -> None:
    port = _free_port()
    configured = settings.model_copy(deep=True)
    configured.telegram.webhook.host = "127.0.0.1"
    configured.telegram.webhook.port = port
    configured.telegram.api_base = "http://127.0.0.1:9"  # never called: public_url is unset
    configured.database.url = f"sqlite+aiosqlite:///{tmp_path / 'hook.db'}"
    app = await create_app(configured, "123:TEST")
    stop = asyncio.Event()
    server = asyncio.create_task(run_webhook(app, "s3cret", stop))
    update = {
        "update_id": 1,
        "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "hi"},
    }
    url = f"http://127.0.0.1:{port}{configured.telegram.webhook.path}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(50):
                try:
                    async with http.post(url, json=update) as response:
                        refused = response.status
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as response:
                wrong = response.status
            async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}) as response:
                accepted = response.status
        assert accepted == 200
        assert refused == 401
        assert wrong == 401
    finally:
        stop.set()
        await server
        await app.close()
