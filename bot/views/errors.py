"""A domain refusal (store.errors.DomainError) as text in the user's language."""

from __future__ import annotations

from bot.i18n import has, t
from store.errors import DomainError


def error_text(lang: str, exc: DomainError) -> str:
    """A refusal that names a product in both languages (`title_en`, `title_zh`) names it as `{title}` in the
    reader's."""
    key = f"errors.{exc.code}"
    params = dict(exc.params)
    if "title_en" in params and "title_zh" in params:
        params["title"] = params["title_zh" if lang == "zh" else "title_en"]
    return t(lang, key, **params) if has(key, lang) else t(lang, "errors.generic")
