"""The bot answering through a live Rasa 3.6 server, and falling back to the builtin model within 1 s when the
server hangs or dies mid-conversation. Run by `make rasa-check`, which starts the real servers and sets
RASA_URL, RASA_URL_ZH and their process ids; skipped (with this reason) anywhere else."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import nlu_service
from bot.context import AppContext
from bot.emulator.client import UserHandle
from bot.i18n import t
from bot.sandbox import Stack, start_stack
from dialogues.nlu import IntentResult
from tests.conftest import make_test_settings

RASA_URL = os.environ.get("RASA_URL")
RASA_URL_ZH = os.environ.get("RASA_URL_ZH")
PID_EN = int(os.environ.get("RASA_PID_EN", "0"))
PID_ZH = int(os.environ.get("RASA_PID_ZH", "0"))

pytestmark = pytest.mark.skipif(
    not (RASA_URL and RASA_URL_ZH and PID_EN and PID_ZH),
    reason="needs live Rasa servers: run `make rasa-check`",
)


@pytest.fixture
async def rasa_shop(tmp_path: Path) -> AsyncIterator[Stack]:
    settings = make_test_settings(
        nlu={"backend": "rasa", "rasa_url": RASA_URL, "rasa_url_zh": RASA_URL_ZH, "rasa_timeout": 0.8,
             "cache_dir": str(tmp_path / "nlu")}
    )
    stack = await start_stack(settings, database_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}")
    try:
        yield stack
    finally:
        await stack.stop()


async def ask(user: UserHandle, text: str) -> tuple[str, float]:
    """Send a question; the bot's reply and how long the shopper waited for it."""
    before = len(await user.messages())
    started = time.monotonic()
    await user.send(text)  # returns once the bot has handled the update
    waited = time.monotonic() - started
    replies = [m for m in (await user.messages())[before:] if m.from_bot]
    assert replies, f"no answer to {text!r}"
    return replies[-1].text or "", waited


async def understood(ctx: AppContext, text: str) -> tuple[IntentResult, float]:
    """The intent and how long finding it took (the first question after a server fails meets the failure)."""
    started = time.monotonic()
    result = await nlu_service.understand(ctx, text, "en")
    return result, time.monotonic() - started


async def test_answers_through_rasa_and_falls_back_within_a_second(rasa_shop: Stack) -> None:
    shop = rasa_shop
    ctx = shop.app.ctx
    lin = await shop.client.user("Lin", lang="en")
    await lin.send("/start")

    assert (await nlu_service.understand(ctx, "where is my order", "en")).backend == "rasa"
    assert (await nlu_service.understand(ctx, "我的订单到哪了", "en")).backend == "rasa"
    await ask(lin, "how do I pay with a card")
    await ask(lin, "我想退款")

    os.kill(PID_EN, signal.SIGSTOP)  # the English server hangs
    try:
        result, seconds = await understood(ctx, "what are your opening hours")
        assert result.backend == "builtin" and seconds < 1.0, f"{seconds:.2f} s for a hung server"
        reply, _ = await ask(lin, "what are your opening hours")
        assert reply and reply != t("en", "errors.internal")
    finally:
        os.kill(PID_EN, signal.SIGCONT)

    os.kill(PID_ZH, signal.SIGKILL)  # the Chinese server dies
    result, seconds = await understood(ctx, "优惠券怎么用")
    assert result.backend == "builtin" and seconds < 1.0, f"{seconds:.2f} s for a dead server"
    reply, _ = await ask(lin, "优惠券怎么用")
    assert reply and reply != t("en", "errors.internal")
