"""`desk`: the `shop` stack with the sandbox's demo people and forum support group
(@pytest.mark.demo_people), plus a second support agent, Tess, granted by the admin."""

from __future__ import annotations

from typing import Any

import pytest

from store import users
from tests.conftest import ADMIN_ID


@pytest.fixture
async def desk(shop: Any) -> Any:
    assert "support" in shop.chats, "mark the test with @pytest.mark.demo_people"
    assert shop.settings.support.chat_id == shop.chats["support"].id
    # The configured admin is a real Telegram account (Telegram answers "user not found" only for ids it never
    # saw), so the agent lists that ask about every staff member get a real answer.
    await shop.client.user("Owner", lang="en", id=ADMIN_ID)
    tess = await shop.client.user("Tess", lang="en")
    await shop.chats["support"].add(tess)
    await users.grant_role(shop.db, tess.id, "support", granted_by=shop.people["Ada"].id)
    shop.people["Tess"] = tess
    return shop
