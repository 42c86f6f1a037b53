"""The real bot over HTTP against the emulator: greeting, language, help, command menus, groups."""

from __future__ import annotations

from bot.sandbox import Stack


async def test_start_greets_in_the_users_language(shop: Stack) -> None:
    alice = await shop.client.user("Alice", lang="en")
    li = await shop.client.user("李雷", lang="zh-hans")
    await alice.send("/start")
    await li.send("/start")
    greeting = await alice.last_message()
    assert "Hi Alice" in greeting.text
    labels = [b.text for row in greeting.buttons for b in row]
    assert labels == ["🛍 Catalog", "🔎 Search", "🛒 Cart", "📦 Orders", "✨ For you", "❤️ Wishlist", "❓ Help"]
    zh = await li.last_message()
    assert "李雷，您好" in zh.text
    assert "🛒 购物车" in [b.text for row in zh.buttons for b in row]


async def test_language_switch_is_remembered(shop: Stack) -> None:
    bob = await shop.client.user("Bob", lang="en")
    await bob.send("/language")
    await bob.tap("中文")
    assert (await bob.last_message()).text == "语言已设置为中文。"
    await bob.send("/help")
    assert "我能做什么" in (await bob.last_message()).text


async def test_help_button_edits_in_place(shop: Stack) -> None:
    carol = await shop.client.user("Carol")
    await carol.send("/start")
    before = await carol.messages()
    await carol.tap("❓ Help")
    after = await carol.messages()
    assert len(after) == len(before), "navigation edits the message instead of posting a new one"
    assert "/catalog" in after[-1].text


async def test_commands_registered_per_language(shop: Stack) -> None:
    calls = await shop.client.calls("setMyCommands")
    languages = sorted(str(call["params"].get("language_code", "")) for call in calls)
    assert languages == ["", "zh"]


async def test_start_in_group_points_to_private_chat(shop: Stack) -> None:
    dan = await shop.client.user("Dan")
    group = await shop.client.group("Street", members=[dan], bot_admin=True)
    await dan.send("/start", chat=group)
    reply = await dan.last_message(chat=group)
    assert reply.buttons and reply.buttons[0][0].url and "t.me/" in reply.buttons[0][0].url
