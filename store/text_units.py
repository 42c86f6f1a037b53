"""How the bot measures a text against Telegram's limits (message 4,096, caption 1,024, ...).

Telegram counts code points of the parsed text (TDLib's utf8_length; bot/emulator/lengths.py does the same), but
entity offsets and lengths are UTF-16 code units. The bot measures in UTF-16 units: never fewer than Telegram's
count, so what fits here fits there, and the same number places an entity."""

from __future__ import annotations


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
