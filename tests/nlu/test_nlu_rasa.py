"""RasaClassifier against a local fake Rasa server, and (with RASA_URL set) a real one."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from dialogues.nlu import FALLBACK_INTENT, BuiltinClassifier, IntentResult, RasaClassifier, load_training_data
from dialogues.nlu.rasa import RasaUnavailable, parse_rasa_response


@dataclass
class FakeRasa:
    url: str
    requests: list[Any] = field(default_factory=list)
    # What the next requests get: a JSON payload, an HTTP status, or no answer until the test ends (`hang`).
    payload: Any = None
    status: int = 200
    hang: bool = False
    released: asyncio.Event = field(default_factory=asyncio.Event)


@pytest.fixture(scope="module")
def builtin() -> BuiltinClassifier:
    return BuiltinClassifier.train(load_training_data())


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    state = FakeRasa(url="")

    async def parse(request: web.Request) -> web.Response:
        state.requests.append(await request.json())
        if state.hang:
            await state.released.wait()
        if state.status != 200:
            return web.Response(status=state.status, text="boom")
        return web.json_response(state.payload)

    app = web.Application()
    app.router.add_post("/model/parse", parse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}/"
    yield state
    state.released.set()
    await runner.cleanup()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _rasa_payload(text: str, name: str | None, confidence: float) -> dict[str, Any]:
    return {
        "text": text,
        "intent": {"name": name, "confidence": confidence},
        "entities": [],
        "intent_ranking": [{"name": name, "confidence": confidence}],
    }


async def test_maps_rasa_intent_and_confidence(fake_rasa: FakeRasa, builtin: BuiltinClassifier) -> None:
    fake_rasa.payload = _rasa_payload("where is my parcel", "track_order", 0.93)
    classifier = RasaClassifier(fake_rasa.url, fallback=builtin)
    try:
        result = await classifier.parse("where is my parcel", lang="en")
    finally:
        await classifier.aclose()
    assert (result.intent, result.backend) == ("track_order", "rasa")
    assert result.confidence == pytest.approx(0.93)
    assert fake_rasa.requests == [{"text": "where is my parcel"}]


async def test_null_intent_maps_to_fallback(fake_rasa: FakeRasa, builtin: BuiltinClassifier) -> None:
    fake_rasa.payload = _rasa_payload("???", None, 0.0)
    classifier = RasaClassifier(fake_rasa.url, fallback=builtin)
    try:
        assert await classifier.parse("???") == IntentResult(FALLBACK_INTENT, 0.0, "rasa")
    finally:
        await classifier.aclose()


async def test_server_error_falls_back_to_builtin(fake_rasa: FakeRasa, builtin: BuiltinClassifier) -> None:
    fake_rasa.status = 500
    classifier = RasaClassifier(fake_rasa.url, fallback=builtin)
    try:
        result = await classifier.parse("refund please")
    finally:
        await classifier.aclose()
    assert result == builtin.classify("refund please")
    assert result.backend == "builtin" and result.intent == "refund_request"
    assert len(fake_rasa.requests) == 1


async def test_malformed_reply_falls_back(fake_rasa: FakeRasa, builtin: BuiltinClassifier) -> None:
    fake_rasa.payload = {"text": "hi"}
    classifier = RasaClassifier(fake_rasa.url, fallback=builtin)
    try:
        assert (await classifier.parse("hi")).backend == "builtin"
    finally:
        await classifier.aclose()


async def test_slow_server_times_out_to_builtin(fake_rasa: FakeRasa, builtin: BuiltinClassifier) -> None:
    fake_rasa.payload = _rasa_payload("hi", "greet", 0.99)
    fake_rasa.hang = True  # a server that never answers in time, however slow or fast the machine
    classifier = RasaClassifier(fake_rasa.url, fallback=builtin, timeout=0.1)
    try:
        result = await classifier.parse("hello")
    finally:
        await classifier.aclose()
    assert result.backend == "builtin" and result.intent == "greet"


async def test_down_server_falls_back_and_is_not_retried_at_once(builtin: BuiltinClassifier) -> None:
    classifier = RasaClassifier(f"http://127.0.0.1:{_free_port()}", fallback=builtin, retry_after=60)
    try:
        first = await classifier.parse("how do I pay")
        assert first.backend == "builtin" and first.intent == "payment_methods"
        # Within retry_after the server is skipped: no connection attempt, same answer.
        assert await classifier.parse("how do I pay") == first
    finally:
        await classifier.aclose()


async def test_rasa_is_asked_again_after_retry_window(fake_rasa: FakeRasa, builtin: BuiltinClassifier) -> None:
    fake_rasa.status = 503
    classifier = RasaClassifier(fake_rasa.url, fallback=builtin, retry_after=0.0)
    try:
        assert (await classifier.parse("hi")).backend == "builtin"
        fake_rasa.status = 200
        fake_rasa.payload = _rasa_payload("hi", "greet", 0.8)
        result = await classifier.parse("hi")
        assert (result.intent, result.backend) == ("greet", "rasa")
        assert result.confidence == pytest.approx(0.8)
    finally:
        await classifier.aclose()
    assert len(fake_rasa.requests) == 2


async def test_empty_text_never_reaches_rasa(fake_rasa: FakeRasa, builtin: BuiltinClassifier) -> None:
    classifier = RasaClassifier(fake_rasa.url, fallback=builtin)
    assert await classifier.parse("  ") == IntentResult(FALLBACK_INTENT, 0.0, "rasa")
    assert fake_rasa.requests == []


def test_parse_rasa_response_rejects_garbage() -> None:
    bad: Any
    for bad in ([], {"intent": "greet"}, {"intent": {"name": "greet", "confidence": "high"}}):
        with pytest.raises(RasaUnavailable):
            parse_rasa_response(bad)
    assert parse_rasa_response({"intent": {"name": "greet", "confidence": 1.7}}).confidence == 1.0


async def test_chinese_text_goes_to_the_chinese_model(fake_rasa: FakeRasa, builtin: BuiltinClassifier) -> None:
    english_port = _free_port()  # nothing listens: an English question must fall back, never reach the zh server
    fake_rasa.payload = _rasa_payload("我要退款", "refund_request", 0.9)
    classifier = RasaClassifier(
        f"http://127.0.0.1:{english_port}", fallback=builtin, language_urls={"zh": fake_rasa.url}
    )
    try:
        chinese = await classifier.parse("我要退款", "en")  # an English app, a Chinese message
        assert (chinese.intent, chinese.backend) == ("refund_request", "rasa")
        english = await classifier.parse("where is my order", "zh")
        assert english.backend == "builtin"
    finally:
        await classifier.aclose()
    assert [r["text"] for r in fake_rasa.requests] == ["我要退款"]


RASA_URL = os.environ.get("RASA_URL")
RASA_URL_ZH = os.environ.get("RASA_URL_ZH")


@pytest.mark.skipif(not RASA_URL, reason="RASA_URL not set: `make rasa-check` starts scripts/rasa-server and sets it")
async def test_real_rasa_server(builtin: BuiltinClassifier) -> None:
    assert RASA_URL
    classifier = RasaClassifier(RASA_URL, fallback=builtin, timeout=10.0, language_urls={"zh": RASA_URL_ZH or ""})
    try:
        for text, intent in [("where is my order", "track_order"), ("我要退款", "refund_request")]:
            result = await classifier.parse(text)
            assert result.backend == "rasa", f"Rasa at {classifier.url_for(text)} did not answer"
            assert result.intent == intent and 0.0 < result.confidence <= 1.0
    finally:
        await classifier.aclose()
