"""How Telegram measures the strings it limits, so the emulator refuses exactly what Telegram refuses.

Read from the Bot API server (tdlib/telegram-bot-api, Client.cpp) and TDLib (td/telegram/MessageContent.cpp,
MessageEntity.cpp, misc.cpp), which implement these checks for bots:

- Message text and captions are counted in Unicode code points (TDLib's `utf8_length`), not UTF-16 code units,
  of the text *after* entity parsing and after TDLib's clean-up: carriage returns and a few invisible marks are
  dropped, trailing spaces and newlines are cut, and so are leading ones that no entity covers. Only entity
  offsets are UTF-16; a text of 4,096 emoji is accepted.
- Before any parsing the Bot API server refuses a text field longer than 32,768 UTF-8 bytes ("text is too long"),
  so a short message hidden in a huge amount of markup is refused too.
- Chat titles and forum topic names are never refused for length: TDLib collapses spaces and truncates them.
- Byte limits (callback_data, inline result ids, next_offset, invoice payload) count UTF-8 bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.emulator.errors import bad_request

RAW_TEXT_LIMIT = 1 << 15  # UTF-8 bytes of a text/caption field as sent, before parse_mode is applied
# TDLib's clean_input_string deletes these before counting: CR, LINE/PARAGRAPH SEPARATOR and the bidi marks
# U+2028-U+202E, and three combining "vertical line" marks.
_DROPPED = frozenset("\r\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u030a\u0333\u033f")
# ...and turn the other ASCII control characters (tab included) into spaces, which trimming then counts as such.
_SPACES = frozenset(" \n") | frozenset(chr(c) for c in range(32) if chr(c) not in "\r\n")
# clean_name (chat titles, topic names) first turns these into spaces (TDLib's strip_empty_characters)...
_WIDE_SPACES = frozenset(
    "\u1680\u180e\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u2800\u3000\ufffc"
)
# ...gives up on a name made only of invisible characters...
_INVISIBLE = frozenset(" \u200b\u200c\u200d\u200e\u200f\u202e\ufeff\u00a0")
TRIM = " \t\r\n\0\v"  # tdutils' is_space: what TDLib's trim() strips


def byte_length(text: str) -> int:
    return len(text.encode("utf-8"))


def check_raw_text(raw: str) -> None:
    """The Bot API server's guard on a text/caption field as received, before parse_mode."""
    if byte_length(raw) > RAW_TEXT_LIMIT:
        raise bad_request("text is too long")


def counted_length(plain: str, entities: Sequence[dict[str, Any]] = ()) -> int:
    """Code points Telegram counts against the 4,096/1,024 limits in a parsed text with its entities."""
    kept = [" " if ch in _SPACES else ch for ch in plain if ch not in _DROPPED]
    end = len(kept)
    while end and kept[end - 1] in " \n":
        end -= 1
    # Leading whitespace goes only up to the first entity (a bold run that starts with a space keeps it). Offsets
    # are UTF-16 units, but everything before the first non-space character is one unit, so slicing is exact.
    first_entity = min((int(e.get("offset", 0)) for e in entities), default=len(plain))
    start = 0
    for ch in plain[:first_entity]:
        if ch in _DROPPED:
            continue
        if ch not in _SPACES:
            break
        start += 1
    return max(0, end - start)


def clean_name(name: str, limit: int) -> str:
    """A chat title or topic name as TDLib passes it on (misc.cpp clean_name); "" means Telegram refuses it."""
    spaced = "".join(" " if ch in _WIDE_SPACES or 0xE0000 <= ord(ch) <= 0xE007F else ch for ch in name)
    cut = spaced.strip(TRIM)[:limit].strip(TRIM)  # truncated, never refused for length
    if all(ch in _INVISIBLE for ch in cut):
        return ""
    collapsed: list[str] = []
    for ch in cut:
        if ch not in " \n\u00a0":
            collapsed.append(ch)
        elif not collapsed or collapsed[-1] != " ":
            collapsed.append(" ")
    return "".join(collapsed).strip(TRIM)
