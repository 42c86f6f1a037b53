"""Groups: privacy mode, membership updates, forum topics, migration, commands per scope."""

from __future__ import annotations

from typing import Any

from tests.emulator.conftest import Harness


def texts(updates: list[dict[str, Any]]) -> list[str]:
    return [u["message"]["text"] for u in updates if "message" in u and "text" in u["message"]]


async def test_privacy_mode(h: Harness) -> None:
    alice = await h.user()
    group = await h.group([alice])
    bot_message = await h.ok("sendMessage", chat_id=group["id"], text="Catalog card")
    for text in ("just chatting", "/catalog", "/catalog@groupcart_bot", "/help@other_bot", "hey @groupcart_bot"):
        await h.control("send", {"user_id": alice["id"], "chat_id": group["id"], "text": text})
    await h.control("send", {"user_id": alice["id"], "chat_id": group["id"], "text": "reply to you",
                             "reply_to_message_id": bot_message["message_id"]})
    got = await h.drain()
    assert texts(got) == ["/catalog", "/catalog@groupcart_bot", "hey @groupcart_bot", "reply to you"]
    command = got[1]["message"]
    assert command["entities"] == [{"type": "bot_command", "offset": 0, "length": 22}]
    assert got[3]["message"]["reply_to_message"]["message_id"] == bot_message["message_id"]
    # the users still see every message
    transcript = await h.get(f"chats/{group['id']}/messages")
    assert "just chatting" in [m.get("text") for m in transcript]
    # an admin bot sees everything
    await h.control(f"chats/{group['id']}/members", {"user_id": h.emu.bot.id, "status": "administrator"})
    promoted = (await h.drain())[0]["my_chat_member"]
    assert (promoted["old_chat_member"]["status"], promoted["new_chat_member"]["status"]) == (
        "member", "administrator")
    assert promoted["new_chat_member"]["can_delete_messages"] is True
    await h.control("send", {"user_id": alice["id"], "chat_id": group["id"], "text": "now visible"})
    assert texts(await h.drain()) == ["now visible"]


async def test_bot_added_and_removed(h: Harness) -> None:
    alice = await h.user()
    group = await h.control("chats", {"type": "group", "title": "G", "members": [alice["id"]]})
    got = await h.drain()
    joined = got[0]["my_chat_member"]
    assert joined["chat"] == {"id": group["id"], "type": "group", "title": "G"}
    assert joined["from"]["id"] == alice["id"]
    assert (joined["old_chat_member"]["status"], joined["new_chat_member"]["status"]) == ("left", "member")
    assert got[1]["message"]["new_chat_members"][0]["id"] == h.emu.bot.id
    await h.control(f"chats/{group['id']}/members", {"user_id": h.emu.bot.id, "status": "kicked"})
    kicked = (await h.drain())[0]["my_chat_member"]
    assert kicked["new_chat_member"]["status"] == "kicked" and kicked["new_chat_member"]["until_date"] == 0
    body = await h.error("sendMessage", chat_id=group["id"], text="hi")
    assert body["description"] == "Forbidden: bot was kicked from the group chat"


async def test_user_joins_produces_service_message(h: Harness) -> None:
    alice = await h.user()
    bob = await h.user("Bob")
    group = await h.group([alice])
    await h.control(f"chats/{group['id']}/members", {"user_id": bob["id"], "status": "member"})
    message = (await h.drain())[0]["message"]
    assert message["new_chat_members"][0]["id"] == bob["id"]
    members = await h.ok("getChatMember", chat_id=group["id"], user_id=bob["id"])
    assert members["status"] == "member"
    admins = await h.ok("getChatAdministrators", chat_id=group["id"])
    assert [a["user"]["id"] for a in admins] == [alice["id"]] and admins[0]["status"] == "creator"
    assert await h.ok("getChatMemberCount", chat_id=group["id"]) == 3
    info = await h.ok("getChat", chat_id=group["id"])
    assert info["type"] == "group" and info["title"] == "Neighbours" and "accent_color_id" in info
    assert await h.ok("leaveChat", chat_id=group["id"]) is True
    left = (await h.drain())[0]["my_chat_member"]
    assert left["new_chat_member"]["status"] == "left"


async def test_forum_topics(h: Harness) -> None:
    alice = await h.user()
    forum = await h.control("chats", {"type": "supergroup", "title": "Support", "forum": True,
                                      "members": [alice["id"]], "bot_admin": True})
    await h.drain()
    assert forum["is_forum"] is True and forum["id"] < -1_000_000_000_000
    topic = await h.ok("createForumTopic", chat_id=forum["id"], name="Alice #1")
    thread = topic["message_thread_id"]
    assert topic["name"] == "Alice #1" and "icon_color" in topic
    sent = await h.ok("sendMessage", chat_id=forum["id"], message_thread_id=thread, text="Hi Alice")
    assert sent["message_thread_id"] == thread and sent["is_topic_message"] is True
    await h.control("send", {"user_id": alice["id"], "chat_id": forum["id"], "thread_id": thread,
                             "text": "my order is late"})
    message = (await h.drain())[0]["message"]
    assert message["message_thread_id"] == thread and message["is_topic_message"] is True
    assert message["reply_to_message"]["forum_topic_created"]["name"] == "Alice #1"
    transcript = await h.get(f"chats/{forum['id']}/messages", thread_id=thread)
    assert [m.get("text") for m in transcript[1:]] == ["Hi Alice", "my order is late"]
    body = await h.error("sendMessage", chat_id=forum["id"], message_thread_id=9999, text="x")
    assert body["description"] == "Bad Request: message thread not found"
    assert await h.ok("editForumTopic", chat_id=forum["id"], message_thread_id=thread, name="Alice #1 done")
    assert await h.ok("closeForumTopic", chat_id=forum["id"], message_thread_id=thread)
    body = await h.error("closeForumTopic", chat_id=forum["id"], message_thread_id=thread)
    assert body["description"] == "Bad Request: TOPIC_NOT_MODIFIED"
    assert await h.ok("reopenForumTopic", chat_id=forum["id"], message_thread_id=thread)
    user_topic = await h.control(f"chats/{forum['id']}/topics", {"name": "Bob", "user_id": alice["id"]})
    created = (await h.drain())[0]["message"]
    assert created["forum_topic_created"]["name"] == "Bob"
    assert created["message_thread_id"] == user_topic["message_thread_id"]
    plain = await h.group([alice])
    body = await h.error("createForumTopic", chat_id=plain["id"], name="x")
    assert body["description"] == "Bad Request: the chat is not a forum"


async def test_migrate_to_supergroup(h: Harness) -> None:
    alice = await h.user()
    group = await h.group([alice])
    result = await h.control(f"chats/{group['id']}/migrate")
    new_id = result["chat_id"]
    got = await h.drain()
    assert got[0]["message"]["migrate_to_chat_id"] == new_id and got[0]["message"]["chat"]["id"] == group["id"]
    assert got[1]["message"]["migrate_from_chat_id"] == group["id"] and got[1]["message"]["chat"]["id"] == new_id
    assert got[1]["message"]["chat"]["type"] == "supergroup"
    body = await h.error("sendMessage", chat_id=group["id"], text="old id")
    assert body["description"] == "Bad Request: group chat was upgraded to a supergroup chat"
    assert body["parameters"] == {"migrate_to_chat_id": new_id}
    assert (await h.ok("sendMessage", chat_id=new_id, text="new id"))["chat"]["id"] == new_id


async def test_commands_per_scope_and_language(h: Harness) -> None:
    default = [{"command": "start", "description": "Start"}]
    zh = [{"command": "start", "description": "开始"}]
    groups = [{"command": "catalog", "description": "Catalog"}]
    assert await h.ok("setMyCommands", commands=default)
    assert await h.ok("setMyCommands", commands=zh, language_code="zh")
    assert await h.ok("setMyCommands", commands=groups, scope={"type": "all_group_chats"})
    assert await h.ok("getMyCommands") == default
    assert await h.ok("getMyCommands", language_code="zh") == zh
    assert await h.ok("getMyCommands", scope={"type": "all_group_chats"}) == groups
    assert await h.ok("deleteMyCommands", scope={"type": "all_group_chats"})
    assert await h.ok("getMyCommands", scope={"type": "all_group_chats"}) == []
    body = await h.error("setMyCommands", commands=[{"command": "Bad Command", "description": "x"}])
    assert body["description"] == "Bad Request: BOT_COMMAND_INVALID"
    assert await h.ok("setMyName", name="GroupCart", language_code="zh")
    assert await h.ok("getMyName", language_code="zh") == {"name": "GroupCart"}
    assert await h.ok("getMyName") == {"name": "groupcart"}
    assert await h.ok("setChatMenuButton", menu_button={"type": "commands"})
    assert await h.ok("getChatMenuButton") == {"type": "commands"}
