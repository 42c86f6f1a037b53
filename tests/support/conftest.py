"""`desk`: the `shop` stack with the sandbox's demo people and forum support group
(@pytest.mark.demo_people), plus a second support agent, Tess, granted by the admin."""

from __future__ import annotations

from typing import Any

import pytest

from store import users


@pytest.fixture
async def desk(shop: Any) -> Any:
    assert "support" in shop.chats, "mark the test with @pytest.mark.demo_people"
    assert shop.settings.support.chat_id == shop.chats["support"].id
    tess = await shop.client.user("Tess", lang="en")
    await shop.chats["support"].add(tess)
    await users.grant_role(shop.db, tess.id, "support", granted_by=shop.people["Ada"].id)
    shop.people["Tess"] = tess
    return shop
