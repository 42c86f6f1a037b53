"""A domain refusal (store.errors.DomainError) as text in the user's language."""

from __future__ import annotations

from bot.i18n import has, t
from store.errors import DomainError


def error_text(lang: str, exc: DomainError) -> str:
    key = f"errors.{exc.code}"
    return t(lang, key, **exc.params) if has(key, lang) else t(lang, "errors.generic")
