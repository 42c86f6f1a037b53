"""Issue 9 item 16: `groupcart run --host 0.0.0.0` in sandbox mode refuses unless remote access is allowed
explicitly, and then the control API (and so the web chat) needs a token; loopback stays as it was."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from bot.config import Settings
from bot.emulator.server import EmulatorConfig, start_emulator
from bot.sandbox import TOKEN_ENV, remote_access
from tests.conftest import ROOT
from tests.private_services import free_port


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", TOKEN_ENV)}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--data-dir", str(tmp_path), *args],
        cwd=ROOT,
        env=_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_non_loopback_host_is_refused_without_allow_remote(tmp_path: Path) -> None:
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--host", "0.0.0.0", "--port", str(port), "--data-dir", str(tmp_path)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "refusing to expose the sandbox on 0.0.0.0" in result.stderr
    assert "--allow-remote" in result.stderr
    assert not (tmp_path / "sandbox.db").exists()  # nothing was started


def test_remote_access_decision(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert remote_access(settings, host, False) == (None, None)
    for host in ("0.0.0.0", "::", "192.168.1.5", "shop.example"):
        token, refusal = remote_access(settings, host, False)
        assert token is None and refusal is not None
    generated, refusal = remote_access(settings, "0.0.0.0", True)
    assert refusal is None and generated and len(generated) >= 24
    assert remote_access(settings, "0.0.0.0", True)[0] != generated  # a new one each start
    sandbox = settings.sandbox.model_copy(update={"allow_remote": True})
    allowed_by_config = settings.model_copy(update={"sandbox": sandbox})
    assert remote_access(allowed_by_config, "0.0.0.0", False)[0]
    monkeypatch.setenv(TOKEN_ENV, "from-the-environment")
    assert remote_access(settings, "0.0.0.0", True) == ("from-the-environment", None)


async def test_allowed_remote_sandbox_needs_the_token(
    tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    port = free_port()
    proc = _run(["--host", "0.0.0.0", "--port", str(port), "--allow-remote"], tmp_path)
    started.append(proc)
    assert proc.stdout is not None
    seen: list[str] = []
    token = None
    for line in proc.stdout:
        seen.append(line)
        found = re.search(r"#token=([A-Za-z0-9_-]+)", line)
        if found:
            token = found.group(1)
            break
    assert token, "".join(seen)
    output = "".join(seen) + proc.stdout.readline()
    assert "WARNING" in output
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/control/state") as response:
            assert response.status == 401
        async with http.get(f"{base}/control/state", headers={"X-Sandbox-Token": "wrong"}) as response:
            assert response.status == 401
        async with http.post(f"{base}/control/send", json={"user_id": 1, "text": "hi"}) as response:
            assert response.status == 401
        async with http.get(f"{base}/control/state", headers={"X-Sandbox-Token": token}) as response:
            assert response.status == 200
            state = await response.json()
        assert any(user["first_name"] == "Alice" for user in state["users"])
        async with http.get(f"{base}/control/state", params={"token": token}) as response:
            assert response.status == 200
        # The documented default bot token no longer reaches the bot's updates.
        async with http.get(f"{base}/bot123456:SANDBOX-TOKEN/getMe") as response:
            assert response.status != 200
        async with http.get(f"{base}/") as response:  # the page itself holds nothing; it asks for the token
            assert response.status == 200


async def test_loopback_control_api_needs_no_token() -> None:
    running = await start_emulator(EmulatorConfig())
    try:
        async with aiohttp.ClientSession() as http, http.get(f"{running.base_url}/control/state") as response:
            assert response.status == 200
    finally:
        await running.stop()
