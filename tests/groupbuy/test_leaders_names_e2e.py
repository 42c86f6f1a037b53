"""The admin's leaders list names people as the admin knows them: "Bob Baker (@bob_b)" ("李雷（@lilei）" in
Chinese), the name alone without a username, the user id only for someone the bot has never met; names are
escaped. En and zh."""

from __future__ import annotations

from bot.sandbox import Stack
from tests.conftest import ADMIN_ID


async def test_leaders_list_shows_names_and_usernames(shop: Stack) -> None:
    ada = await shop.client.user("Ada", id=ADMIN_ID)
    bob = await shop.client.user("Bob Baker", username="bob_b")
    eve = await shop.client.user("<b>Eve</b>")
    for person in (ada, bob, eve):
        await person.send("/start")
    for user_id in (bob.id, eve.id, 424242):
        await ada.send(f"/leader_grant {user_id}")
    await ada.send("/admin")
    await ada.tap("Leaders & group buys")
    section = ((await ada.last_message()) or ada).text or ""  # type: ignore[union-attr]
    (leaders,) = [line for line in section.splitlines() if line.startswith("Leaders: ")]
    assert sorted(leaders.removeprefix("Leaders: ").split(", ")) == ["424242", "<b>Eve</b>", "Bob Baker (@bob_b)"]
    assert str(bob.id) not in section and str(eve.id) not in section


async def test_chinese_leaders_list(shop: Stack) -> None:
    ada = await shop.client.user("Ada", id=ADMIN_ID, lang="zh-hans")
    lilei = await shop.client.user("李雷", username="lilei")
    for person in (ada, lilei):
        await person.send("/start")
    await ada.send(f"/leader_grant {lilei.id}")
    await ada.send("/admin")
    await ada.tap("团长与拼团")
    section = ((await ada.last_message()) or ada).text or ""  # type: ignore[union-attr]
    assert "团长：李雷（@lilei）" in section, section
