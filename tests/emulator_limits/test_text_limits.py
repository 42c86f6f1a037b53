"""Message text and caption limits, counted as the Bot API server counts them for bots.

TDLib (MessageContent.cpp) refuses a bot's text when `utf8_length` of the parsed text exceeds 4,096: Unicode
code points, not UTF-16 units, after entity parsing, with carriage returns dropped and surrounding spaces and
newlines trimmed. Before parsing, the Bot API server refuses any text field over 32,768 UTF-8 bytes.
"""

from __future__ import annotations

from tests.emulator_limits.conftest import Harness

EMOJI = "\U0001f600"  # outside the BMP: one code point, two UTF-16 units, four UTF-8 bytes
TOO_LONG = "Bad Request: message is too long"


async def _alice(h: Harness) -> int:
    h.emu.limiter.enabled = False
    alice = await h.user()
    return int(alice["id"])


async def test_emoji_count_once_not_as_two_utf16_units(h: Harness) -> None:
    chat = await _alice(h)
    # 4,000 letters and 96 emoji: 4,096 code points but 4,192 UTF-16 units; Telegram takes it
    text = "x" * 4000 + EMOJI * 96
    assert (await h.ok("sendMessage", chat_id=chat, text=text))["text"] == text
    assert await h.ok("sendMessage", chat_id=chat, text=EMOJI * 4096)
    body = await h.error("sendMessage", chat_id=chat, text="x" * 4000 + EMOJI * 97)
    assert body["description"] == TOO_LONG


async def test_trailing_and_leading_whitespace_is_trimmed_before_counting(h: Harness) -> None:
    chat = await _alice(h)
    assert await h.ok("sendMessage", chat_id=chat, text="x" * 4096 + "\n\n  \n")
    assert await h.ok("sendMessage", chat_id=chat, text="\n \n" + "x" * 4096)
    # a tab becomes a space and is trimmed as one
    assert await h.ok("sendMessage", chat_id=chat, text="x" * 4096 + "\t")
    # an entity that starts on the space keeps it: 4,097 counted
    body = await h.error("sendMessage", chat_id=chat, text="<b> " + "x" * 4096 + "</b>", parse_mode="HTML")
    assert body["description"] == TOO_LONG


async def test_carriage_returns_do_not_count(h: Harness) -> None:
    chat = await _alice(h)
    # 64 lines of 63 letters joined by CRLF: 4,158 code points sent, 4,095 once TDLib drops the CRs
    assert await h.ok("sendMessage", chat_id=chat, text="\r\n".join(["x" * 63] * 64))
    body = await h.error("sendMessage", chat_id=chat, text="\n".join(["x" * 63] * 66))
    assert body["description"] == TOO_LONG


async def test_markup_parses_away_but_the_raw_text_is_capped_at_32768_bytes(h: Harness) -> None:
    chat = await _alice(h)
    # 4,096 "&lt;" are 16,384 bytes of HTML and 4,096 characters of text
    sent = await h.ok("sendMessage", chat_id=chat, text="&lt;" * 4096, parse_mode="HTML")
    assert sent["text"] == "<" * 4096
    # 3,640 "&#128512;" are 32,760 bytes: 3,640 emoji (7,280 UTF-16 units) are accepted
    assert await h.ok("sendMessage", chat_id=chat, text="&#128512;" * 3640, parse_mode="HTML")
    # one more is 32,769 bytes: refused before parsing, however short the text it would give
    body = await h.error("sendMessage", chat_id=chat, text="&#128512;" * 3641, parse_mode="HTML")
    assert body["description"] == "Bad Request: text is too long"
    body = await h.error("sendMessage", chat_id=chat, text="<b></b>" * 4700 + "hi", parse_mode="HTML")
    assert body["description"] == "Bad Request: text is too long"


async def test_edits_count_the_same_way(h: Harness) -> None:
    chat = await _alice(h)
    sent = await h.ok("sendMessage", chat_id=chat, text="short")
    edited = await h.ok("editMessageText", chat_id=chat, message_id=sent["message_id"], text=EMOJI * 4096 + "\n")
    assert edited["text"].startswith(EMOJI)
    body = await h.error("editMessageText", chat_id=chat, message_id=sent["message_id"], text=EMOJI * 4097)
    assert body["description"] == TOO_LONG
