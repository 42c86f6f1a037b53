"""Caption limit: 1,024 code points of the parsed, trimmed caption (TDLib's `message_caption_length_max`)."""

from __future__ import annotations

from tests.emulator.conftest import png
from tests.emulator_limits.conftest import Harness

EMOJI = "\U0001f600"
TOO_LONG = "Bad Request: message caption is too long"


async def _send_photo(h: Harness, chat: int, caption: str) -> tuple[int, dict[str, object]]:
    files = {"photo": ("p.png", png(), "image/png")}
    return await h.call("sendPhoto", encoding="multipart", files=files, chat_id=str(chat), caption=caption)


async def test_caption_counts_code_points_after_trimming(h: Harness) -> None:
    h.emu.limiter.enabled = False
    chat = int((await h.user())["id"])
    status, body = await _send_photo(h, chat, EMOJI * 1024)
    assert status == 200, body
    status, body = await _send_photo(h, chat, "c" * 1024 + "\r\n\n ")
    assert status == 200, body
    status, body = await _send_photo(h, chat, "c" * 1000 + EMOJI * 25)
    assert (status, body["description"]) == (400, TOO_LONG)


async def test_caption_edit_counts_the_same_way(h: Harness) -> None:
    h.emu.limiter.enabled = False
    chat = int((await h.user())["id"])
    status, sent = await _send_photo(h, chat, "first")
    assert status == 200, sent
    message_id = sent["result"]["message_id"]  # type: ignore[index]
    assert await h.ok("editMessageCaption", chat_id=chat, message_id=message_id, caption=EMOJI * 1024 + " ")
    body = await h.error("editMessageCaption", chat_id=chat, message_id=message_id, caption=EMOJI * 1025)
    assert body["description"] == TOO_LONG
