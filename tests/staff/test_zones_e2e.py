"""Issue 14, times carry their zone on staff screens too: each line of the audit log reads "12-05 14:03 UTC+8"
(the shop's clock, named), like order times, group-buy deadlines and flash-sale times; the support hours a
shopper is told carry the zone they are in. Real bot, emulator."""

from __future__ import annotations

import re
from typing import Any

from bot.emulator.client import UserHandle
from store import users
from tests.conftest import ADMIN_ID


async def test_audit_log_lines_name_the_zone_of_their_times(shop: Any) -> None:
    ada: UserHandle = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    kim: UserHandle = await shop.client.user("Kim")
    await kim.send("/start")
    assert await users.grant_role(shop.db, kim.id, "leader", granted_by=ADMIN_ID)
    await ada.send("/admin")
    await ada.tap("Audit log")
    log = await ada.last_message()
    assert log is not None and "role.grant" in (log.text or "")
    line = next(row for row in (log.text or "").splitlines() if "role.grant" in row)
    assert re.match(r"\d\d-\d\d \d\d:\d\d UTC\+8 · ", line), line


async def test_support_hours_name_their_zone(shop: Any) -> None:
    alice: UserHandle = await shop.client.user("Alice")
    await alice.send("/start")
    await alice.send("what are your opening hours")
    await shop.client.settle()
    answer = await alice.last_message()
    assert answer is not None and "09:00-21:00 UTC+8" in (answer.text or ""), answer


async def test_flash_sale_list_says_which_zone_typed_times_are_in(shop: Any) -> None:
    ada: UserHandle = await shop.client.user("Ada", id=ADMIN_ID)
    await ada.send("/start")
    await ada.send("/flash_list")
    listing = await ada.last_message()
    assert listing is not None and "(shop time, UTC+8)" in (listing.text or ""), listing
