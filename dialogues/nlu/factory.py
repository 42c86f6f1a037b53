from __future__ import annotations

from pathlib import Path

from .builtin import BuiltinClassifier
from .rasa import RasaClassifier
from .types import IntentClassifier

BACKENDS = ("builtin", "rasa")


def build_classifier(
    backend: str = "builtin",
    rasa_url: str | None = None,
    cache_dir: Path | None = None,
    *,
    rasa_url_zh: str | None = None,
    rasa_timeout: float = 0.8,
) -> IntentClassifier:
    """The classifier named by config `nlu.backend`; the rasa backend keeps builtin as its fallback."""
    builtin = BuiltinClassifier.load_or_train(cache_dir=cache_dir)
    if backend == "builtin":
        return builtin
    if backend == "rasa":
        if not rasa_url:
            raise ValueError("the rasa NLU backend needs rasa_url (e.g. http://127.0.0.1:5005)")
        return RasaClassifier(rasa_url, fallback=builtin, timeout=rasa_timeout, language_urls={"zh": rasa_url_zh or ""})
    raise ValueError(f"unknown NLU backend {backend!r}; expected one of {', '.join(BACKENDS)}")
