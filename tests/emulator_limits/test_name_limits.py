"""Bot commands, chat titles and forum topic names, checked the way TDLib checks them for a bot.

Commands and descriptions are trimmed, then counted in code points (BotCommand.cpp). Titles and topic names are
never refused for length: TDLib collapses spaces and cuts them to 128 code points (misc.cpp clean_name).
"""

from __future__ import annotations

from typing import Any

from tests.emulator_limits.conftest import Harness

EMOJI = "\U0001f600"


async def test_command_fields_are_trimmed_then_counted(h: Harness) -> None:
    commands = [{"command": " /cart ", "description": EMOJI * 256 + "  \n"}]
    assert await h.ok("setMyCommands", commands=commands)
    assert await h.ok("getMyCommands") == [{"command": "cart", "description": EMOJI * 256}]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"command": "cart", "description": "d" * 257}, "command description length must not exceed 256"),
        ({"command": "cart", "description": " \n "}, "command description must be non-empty"),
        ({"command": "c" * 33, "description": "d"}, "command length must not exceed 32"),
        ({"command": " / ", "description": "d"}, "command must be non-empty"),
        ({"command": "//cart", "description": "d"}, "BOT_COMMAND_INVALID"),
    ]
    for command, message in cases:
        body = await h.error("setMyCommands", commands=[command])
        assert body["description"] == f"Bad Request: {message}", command


async def test_long_titles_and_topic_names_are_cut_not_refused(h: Harness) -> None:
    alice = await h.user()
    forum = await h.control(
        "chats", {"type": "supergroup", "title": "Support", "forum": True, "members": [alice["id"]], "bot_admin": True}
    )
    await h.drain()
    assert await h.ok("setChatTitle", chat_id=forum["id"], title="  Tea   " + "t" * 200)
    # cut to 128 first ("Tea" + 3 spaces + 122 letters), then the space run collapses
    assert (await h.ok("getChat", chat_id=forum["id"]))["title"] == "Tea " + "t" * 122
    topic = await h.ok("createForumTopic", chat_id=forum["id"], name=EMOJI * 130)
    assert topic["name"] == EMOJI * 128
    thread = topic["message_thread_id"]
    assert await h.ok("editForumTopic", chat_id=forum["id"], message_thread_id=thread, name="李雷 " * 50)
    body = await h.error("createForumTopic", chat_id=forum["id"], name=" \u2003 ")
    assert body["description"] == "Bad Request: name must be non-empty"
    body = await h.error("setChatTitle", chat_id=forum["id"], title="\u200b \u200b")
    assert body["description"] == "Bad Request: title must be non-empty"
