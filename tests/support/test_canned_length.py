"""A canned reply is sent signed ("💬 Sam · support" on its own line) in one message, so its length is counted as
Telegram counts it, in UTF-16 code units: an emoji outside the BMP is two. 3,500 emoji (7,000 units) were accepted
and then refused by Telegram as "message is too long" when an agent used the reply."""

from __future__ import annotations

import pytest

from store import support
from store.db import Database
from store.errors import DomainError

AGENT = 9001


async def test_a_canned_reply_is_measured_in_utf16_units(any_db: Database) -> None:
    room = "🙏" * (support.CANNED_TEXT_MAX // 2)  # exactly the limit: two units each
    assert await support.save_canned(any_db, "thanks", room, "感谢" * 100, by=AGENT) is True
    with pytest.raises(DomainError):
        await support.save_canned(any_db, "thanks", room + "🙏", "感谢", by=AGENT)
    with pytest.raises(DomainError):
        await support.save_canned(any_db, "thanks", "Thanks", "🙏" * (support.CANNED_TEXT_MAX // 2 + 1), by=AGENT)
    # Chinese and ASCII are one unit a character: the limit is unchanged for them.
    most = support.CANNED_TEXT_MAX
    assert await support.save_canned(any_db, "long", "x" * most, "好" * most, by=AGENT) is True
