"""Translations: YAML catalogues under bot/locales/<lang>/<feature>.yaml, one file per feature so features
can be added without touching a shared file. Nested keys are joined with dots; values are str.format
templates. A test checks that both languages have the same keys and placeholders."""

from __future__ import annotations

import logging
import string
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"

log = logging.getLogger(__name__)


def language_from_telegram(language_code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Telegram's language_code ('en-US', 'zh-hans', 'de') to one of ours by its primary subtag; a language we
    do not speak (or none) gets `default`, the shop's default language."""
    primary = (language_code or "").lower().replace("_", "-").split("-", 1)[0]
    if primary in LANGUAGES:
        return primary
    return default if default in LANGUAGES else DEFAULT_LANGUAGE


def _flatten(prefix: str, node: Any, out: dict[str, str], source: Path) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out, source)
    elif isinstance(node, str):
        if prefix in out:
            raise ValueError(f"{source}: key {prefix!r} is defined twice")
        out[prefix] = node
    else:
        raise ValueError(f"{source}: key {prefix!r} must be text, got {type(node).__name__}")


@cache
def catalogue(lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        _flatten("", data, out, path)
    return out


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def has(key: str, lang: str = DEFAULT_LANGUAGE) -> bool:
    return key in catalogue(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def t(lang: str | None, key: str, /, **params: Any) -> str:
    """The text for `key` in `lang`, formatted with params. A missing key is a bug: log it, show the key."""
    language = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    template = catalogue(language).get(key)
    if template is None:
        template = catalogue(DEFAULT_LANGUAGE).get(key)
        log.error("missing translation %s for %s", key, language)
        if template is None:
            return key
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        log.exception("bad parameters for %s: %s", key, sorted(params))
        return template


def keys(lang: str) -> Iterator[str]:
    return iter(catalogue(lang))


class Translator:
    """`_ = Translator(lang)`; `_("cart.empty", name=...)`: bound to one user's language for a handler."""

    __slots__ = ("lang",)

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE

    def __call__(self, key: str, /, **params: Any) -> str:
        return t(self.lang, key, **params)
