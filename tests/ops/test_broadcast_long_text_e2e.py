"""Outside tester: a broadcast text over the limit was refused with "The message must have text (up to 3500
characters in each language)": it had text, too much of it. The refusal now says how long it is and what is
allowed, and the next, shorter text is taken."""

from __future__ import annotations

from typing import Any

from tests.ops.helpers import broadcast_for


async def test_a_too_long_broadcast_is_told_its_length_and_a_shorter_one_is_taken(shop: Any) -> None:
    admin, _ = await broadcast_for(shop, "👥 All shoppers (2)", {"Alice": "en"})
    await admin.send("Tea " * 900)  # 3,600 characters (Telegram trims the last space)
    refused = (await admin.last_message()).text or ""
    assert "3599 characters" in refused and "may have 3500 characters" in refused, refused
    assert "must have text" not in refused
    await admin.send("Weekend sale on tea")
    assert any("Send to 2" in label for row in (await admin.last_message()).buttons for label in [b.text for b in row])
