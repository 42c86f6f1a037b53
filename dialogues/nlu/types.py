"""Result type and the interface every intent classifier backend implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

# Returned for empty input; a Rasa FallbackClassifier uses the same name, so callers need one check.
FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class IntentResult:
    intent: str
    confidence: float
    backend: str


@runtime_checkable
class IntentClassifier(Protocol):
    async def parse(self, text: str, lang: str | None = None) -> IntentResult: ...
