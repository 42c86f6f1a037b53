"""Client for an optional Rasa NLU server (scripts/rasa-server), falling back to the builtin model."""

from __future__ import annotations

import logging
import time
from typing import Any

import aiohttp

from .builtin import BuiltinClassifier
from .types import FALLBACK_INTENT, IntentResult

log = logging.getLogger(__name__)

BACKEND = "rasa"


class RasaUnavailable(Exception):
    pass


def text_language(text: str) -> str:
    """Which model reads `text`: the one for its script, whatever the language of the shopper's app."""
    if any("\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" for ch in text):
        return "zh"
    return "en"


class RasaClassifier:
    """POSTs to `{url}/model/parse` of the model for the message's language; on any failure answers with the
    builtin classifier.

    After a failure that server is not asked again for `retry_after` seconds, so a dead server costs one
    timeout, not one per message; `timeout` bounds how long a shopper waits for a server that hangs.
    """

    def __init__(
        self,
        url: str,
        fallback: BuiltinClassifier,
        timeout: float = 2.0,
        *,
        retry_after: float = 30.0,
        language_urls: dict[str, str] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.language_urls = {lang: u.rstrip("/") for lang, u in (language_urls or {}).items() if u}
        self.fallback = fallback
        self.timeout = timeout
        self.retry_after = retry_after
        self._down_until: dict[str, float] = {}
        self._session: aiohttp.ClientSession | None = None

    def url_for(self, text: str) -> str:
        return self.language_urls.get(text_language(text), self.url)

    async def parse(self, text: str, lang: str | None = None) -> IntentResult:
        if not text or not text.strip():
            return IntentResult(FALLBACK_INTENT, 0.0, BACKEND)
        url = self.url_for(text)
        if time.monotonic() < self._down_until.get(url, 0.0):
            return self.fallback.classify(text)
        try:
            result = await self._ask_rasa(url, text)
        except (aiohttp.ClientError, TimeoutError, RasaUnavailable, ValueError) as exc:
            log.warning("Rasa at %s unavailable (%r); using builtin NLU", url, exc)
            self._down_until[url] = time.monotonic() + self.retry_after
            return self.fallback.classify(text)
        self._down_until.pop(url, None)
        return result

    async def _ask_rasa(self, url: str, text: str) -> IntentResult:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        async with self._session.post(f"{url}/model/parse", json={"text": text}) as response:
            if response.status != 200:
                raise RasaUnavailable(f"HTTP {response.status}")
            payload: Any = await response.json(content_type=None)
        return parse_rasa_response(payload)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def parse_rasa_response(payload: Any) -> IntentResult:
    """Map Rasa's `{"intent": {"name": ..., "confidence": ...}}` to an IntentResult.

    A missing intent name (Rasa returns null when nothing matched) maps to nlu_fallback.
    """
    if not isinstance(payload, dict):
        raise RasaUnavailable("response is not a JSON object")
    intent = payload.get("intent")
    if not isinstance(intent, dict):
        raise RasaUnavailable("response has no 'intent' object")
    name = intent.get("name")
    confidence = intent.get("confidence")
    if not name:
        return IntentResult(FALLBACK_INTENT, 0.0, BACKEND)
    if not isinstance(confidence, int | float):
        raise RasaUnavailable("intent confidence is not a number")
    return IntentResult(str(name), min(max(float(confidence), 0.0), 1.0), BACKEND)
