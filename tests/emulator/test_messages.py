"""Sending and editing rules with Telegram's error texts."""

from __future__ import annotations

from tests.emulator.conftest import Harness

NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")


async def test_text_length_counts_after_entity_parsing(h: Harness) -> None:
    alice = await h.user()
    h.emu.limiter.enabled = False
    assert (await h.ok("sendMessage", chat_id=alice["id"], text="x" * 4096))["text"] == "x" * 4096
    body = await h.error("sendMessage", chat_id=alice["id"], text="x" * 4097)
    assert body["description"] == "Bad Request: message is too long"
    # tags do not count: 4096 visible characters wrapped in <b> are fine
    sent = await h.ok("sendMessage", chat_id=alice["id"], text="<b>" + "y" * 4096 + "</b>", parse_mode="HTML")
    assert sent["entities"] == [{"type": "bold", "offset": 0, "length": 4096}]
    body = await h.error("sendMessage", chat_id=alice["id"], text="<b></b>", parse_mode="HTML")
    assert body["description"] == "Bad Request: message text is empty"
    body = await h.error("sendMessage", chat_id=alice["id"], text="   ")
    assert body["description"] == "Bad Request: message text is empty"


async def test_caption_limit(h: Harness) -> None:
    from tests.emulator.conftest import png

    alice = await h.user()
    h.emu.limiter.enabled = False
    files = {"photo": ("p.png", png(), "image/png")}
    ok = await h.ok("sendPhoto", encoding="multipart", files=files, chat_id=str(alice["id"]), caption="c" * 1024)
    assert ok["caption"] == "c" * 1024
    body = await h.error("sendPhoto", encoding="multipart", files=files, chat_id=str(alice["id"]),
                         caption="c" * 1025)
    assert body["description"] == "Bad Request: message caption is too long"


async def test_callback_data_is_1_to_64_bytes(h: Harness) -> None:
    alice = await h.user()
    h.emu.limiter.enabled = False

    def kb(data: str) -> dict[str, object]:
        return {"inline_keyboard": [[{"text": "b", "callback_data": data}]]}

    await h.ok("sendMessage", chat_id=alice["id"], text="ok", reply_markup=kb("d" * 64))
    for bad in ("d" * 65, "", "é" * 33):  # 33 two-byte characters are 66 bytes
        body = await h.error("sendMessage", chat_id=alice["id"], text="no", reply_markup=kb(bad))
        assert body["description"] == "Bad Request: BUTTON_DATA_INVALID"
    body = await h.error("sendMessage", chat_id=alice["id"], text="no",
                         reply_markup={"inline_keyboard": [[{"text": "plain"}]]})
    assert "Text buttons are unallowed in the inline keyboard" in body["description"]
    body = await h.error("sendMessage", chat_id=alice["id"], text="no",
                         reply_markup={"inline_keyboard": [[{"text": "u", "url": "notaurl"}]]})
    assert body["description"] == "Bad Request: BUTTON_URL_INVALID"


async def test_html_entities_and_errors(h: Harness) -> None:
    alice = await h.user()
    h.emu.limiter.enabled = False
    sent = await h.ok("sendMessage", chat_id=alice["id"], parse_mode="HTML",
                      text='<b>Tea</b> &amp; <i>cake</i> <a href="https://e.com/x">shop</a> <code>SKU1</code>')
    assert sent["text"] == "Tea & cake shop SKU1"
    assert sent["entities"] == [
        {"type": "bold", "offset": 0, "length": 3},
        {"type": "italic", "offset": 6, "length": 4},
        {"type": "text_link", "offset": 11, "length": 4, "url": "https://e.com/x"},
        {"type": "code", "offset": 16, "length": 4},
    ]
    cases = {
        "<b>open": "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
        "<blink>x</blink>": "Bad Request: can't parse entities: Unsupported start tag \"blink\" at byte offset 0",
        "<b>x</i>": ("Bad Request: can't parse entities: Unmatched end tag at byte offset 4, expected \"</b>\", "
                     "found \"</i>\""),
    }
    for text, description in cases.items():
        body = await h.error("sendMessage", chat_id=alice["id"], text=text, parse_mode="HTML")
        assert body["description"] == description


async def test_utf16_offsets(h: Harness) -> None:
    alice = await h.user()
    sent = await h.ok("sendMessage", chat_id=alice["id"], text="🍵 <b>tea</b>", parse_mode="HTML")
    assert sent["entities"] == [{"type": "bold", "offset": 3, "length": 3}]


async def test_markdown_v2(h: Harness) -> None:
    alice = await h.user()
    h.emu.limiter.enabled = False
    sent = await h.ok("sendMessage", chat_id=alice["id"], parse_mode="MarkdownV2",
                      text="*Tea* _now_ `SKU\\-1` [shop](https://e.com) costs 1\\.50")
    assert sent["text"] == "Tea now SKU-1 shop costs 1.50"
    assert [e["type"] for e in sent["entities"]] == ["bold", "italic", "code", "text_link"]
    body = await h.error("sendMessage", chat_id=alice["id"], text="Version 1.0", parse_mode="MarkdownV2")
    assert body["description"] == ("Bad Request: can't parse entities: Character '.' is reserved and must be "
                                   "escaped with the preceding '\\'")
    body = await h.error("sendMessage", chat_id=alice["id"], text="*bold", parse_mode="MarkdownV2")
    assert body["description"] == "Bad Request: can't parse entities: Can't find end of Bold entity at byte offset 0"
    legacy = await h.ok("sendMessage", chat_id=alice["id"], text="*b* _i_", parse_mode="Markdown")
    assert legacy["text"] == "b i"


async def test_commands_and_mentions_get_entities(h: Harness) -> None:
    alice = await h.user()
    sent = await h.ok("sendMessage", chat_id=alice["id"], text="Try /catalog or ask @groupcart_bot")
    assert {"type": "bot_command", "offset": 4, "length": 8} in sent["entities"]
    assert {"type": "mention", "offset": 20, "length": 14} in sent["entities"]


async def test_edit_rules(h: Harness) -> None:
    alice = await h.user()
    h.emu.limiter.enabled = False
    kb = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    sent = await h.ok("sendMessage", chat_id=alice["id"], text="v1", reply_markup=kb)
    mid = sent["message_id"]
    body = await h.error("editMessageText", chat_id=alice["id"], message_id=mid, text="v1", reply_markup=kb)
    assert body["description"] == NOT_MODIFIED
    edited = await h.ok("editMessageText", chat_id=alice["id"], message_id=mid, text="v2", reply_markup=kb)
    assert edited["text"] == "v2" and "edit_date" in edited
    body = await h.error("editMessageReplyMarkup", chat_id=alice["id"], message_id=mid, reply_markup=kb)
    assert body["description"] == NOT_MODIFIED
    # editing text without reply_markup removes the keyboard, as Telegram does
    edited = await h.ok("editMessageText", chat_id=alice["id"], message_id=mid, text="v2")
    assert "reply_markup" not in edited
    body = await h.error("editMessageText", chat_id=alice["id"], message_id=9999, text="x")
    assert body["description"] == "Bad Request: message to edit not found"
    body = await h.error("editMessageCaption", chat_id=alice["id"], message_id=mid, caption="x")
    assert body["description"] == "Bad Request: there is no caption in the message to edit"
    user_message = h.emu.chats[alice["id"]].messages[1]
    assert not user_message.from_bot
    body = await h.error("editMessageText", chat_id=alice["id"], message_id=1, text="hack")
    assert body["description"] == "Bad Request: message can't be edited"
    transcript = await h.get(f"chats/{alice['id']}/messages")
    assert transcript[-1]["text"] == "v2" and transcript[-1]["edited"] is True


async def test_delete_forward_copy_pin(h: Harness) -> None:
    alice = await h.user()
    bob = await h.user("Bob")
    h.emu.limiter.enabled = False
    sent = await h.ok("sendMessage", chat_id=alice["id"], text="keep me")
    assert await h.ok("pinChatMessage", chat_id=alice["id"], message_id=sent["message_id"]) is True
    chat = await h.ok("getChat", chat_id=alice["id"])
    assert chat["pinned_message"]["text"] == "keep me"
    forwarded = await h.ok("forwardMessage", chat_id=bob["id"], from_chat_id=alice["id"],
                           message_id=sent["message_id"])
    assert forwarded["forward_origin"]["type"] == "user" and forwarded["text"] == "keep me"
    copied = await h.ok("copyMessage", chat_id=bob["id"], from_chat_id=alice["id"], message_id=sent["message_id"])
    assert set(copied) == {"message_id"}
    assert await h.ok("deleteMessage", chat_id=alice["id"], message_id=sent["message_id"]) is True
    body = await h.error("deleteMessage", chat_id=alice["id"], message_id=sent["message_id"])
    assert body["description"] == "Bad Request: message to delete not found"
    transcript = await h.get(f"chats/{alice['id']}/messages")
    assert all(m.get("text") != "keep me" for m in transcript)
    assert await h.ok("sendChatAction", chat_id=alice["id"], action="typing") is True
    body = await h.error("sendChatAction", chat_id=alice["id"], action="dancing")
    assert body["error_code"] == 400


async def test_forbidden_cases(h: Harness) -> None:
    alice = await h.user()
    stranger = await h.user("Stranger", started=False)
    body = await h.error("sendMessage", chat_id=stranger["id"], text="hi")
    assert body == {"ok": False, "error_code": 403,
                    "description": "Forbidden: bot can't initiate conversation with a user"}
    await h.control("block", {"user_id": alice["id"], "blocked": True})
    updates = await h.drain()
    assert updates[-1]["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    body = await h.error("sendMessage", chat_id=alice["id"], text="hi")
    assert body["description"] == "Forbidden: bot was blocked by the user" and body["error_code"] == 403
    await h.control("block", {"user_id": alice["id"], "blocked": False})
    assert (await h.drain())[-1]["my_chat_member"]["new_chat_member"]["status"] == "member"
    await h.ok("sendMessage", chat_id=alice["id"], text="welcome back")
    group = await h.group([alice], bot_member=False)
    body = await h.error("sendMessage", chat_id=group["id"], text="hi")
    assert body["description"] == "Forbidden: bot is not a member of the group chat"


async def test_reply_keyboard_press_and_contact(h: Harness) -> None:
    alice = await h.user()
    keyboard = {"keyboard": [[{"text": "Share phone", "request_contact": True}], ["Catalog"]],
                "resize_keyboard": True}
    await h.ok("sendMessage", chat_id=alice["id"], text="Pick", reply_markup=keyboard)
    await h.control("press", {"user_id": alice["id"], "label": "Catalog"})
    await h.control("press", {"user_id": alice["id"], "label": "Share phone"})
    messages = [u["message"] for u in await h.drain()]
    assert messages[0]["text"] == "Catalog"
    assert messages[1]["contact"]["user_id"] == alice["id"]
    assert messages[1]["contact"]["phone_number"].startswith("+")
    await h.ok("sendMessage", chat_id=alice["id"], text="Done", reply_markup={"remove_keyboard": True})
    body = await h.control("press", {"user_id": alice["id"], "label": "Catalog"}, expect=400)
    assert "no reply keyboard" in body["error"]
