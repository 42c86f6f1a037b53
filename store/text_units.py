"""How Telegram measures a text against its limits (message 4,096, caption 1,024, ...): in UTF-16 code units, so
an emoji outside the Basic Multilingual Plane counts twice while a Chinese character counts once."""

from __future__ import annotations


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
