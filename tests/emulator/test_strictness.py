"""Telegram's strictness, checked on a frozen emulator clock (time passes only when a test says so): identical
edits, per-chat / per-group / global pacing, the 15 s callback deadline, and the record of every error answer
and unanswered query that tests/strict.py reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.emulator import server
from bot.emulator.client import EmulatorClient
from bot.emulator.server import EmulatorConfig, start_emulator
from tests.emulator.conftest import Harness

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as "
    "a current content and reply markup of the message"
)
TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
KB = {"inline_keyboard": [[{"text": "Add", "callback_data": "add:1"}]]}


@pytest.fixture
async def frozen() -> AsyncIterator[Harness]:
    running = await start_emulator(EmulatorConfig(frozen_clock=True))
    try:
        async with aiohttp.ClientSession() as session:
            yield Harness(running, session)
    finally:
        await running.stop()


def later(h: Harness, seconds: float) -> None:
    h.emu.clock.advance(seconds)


async def started_user(h: Harness, name: str = "Alice") -> dict[str, Any]:
    return await h.user(name)


# ---- identical edits -------------------------------------------------------------------------------------
async def test_identical_text_entities_and_markup_is_not_modified(frozen: Harness) -> None:
    h = frozen
    alice = await started_user(h)
    sent = await h.ok("sendMessage", chat_id=alice["id"], text="<b>Tea</b> 9.90", parse_mode="HTML", reply_markup=KB)
    later(h, 5)
    same = {"chat_id": alice["id"], "message_id": sent["message_id"], "reply_markup": KB}
    body = await h.error("editMessageText", text="<b>Tea</b> 9.90", parse_mode="HTML", **same)
    assert body["error_code"] == 400 and body["description"] == NOT_MODIFIED
    # the same entities given explicitly instead of by parse mode are the same content too
    body = await h.error("editMessageText", text="Tea 9.90", entities=sent["entities"], **same)
    assert body["description"] == NOT_MODIFIED
    # other entities (no bold), or another keyboard, are a change
    assert await h.ok("editMessageText", text="Tea 9.90", **same)
    assert await h.ok("editMessageText", chat_id=alice["id"], message_id=sent["message_id"], text="Tea 9.90")


async def test_identical_markup_only_and_caption_edits(frozen: Harness) -> None:
    h = frozen
    alice = await started_user(h)
    sent = await h.ok("sendMessage", chat_id=alice["id"], text="Card", reply_markup=KB)
    body = await h.error("editMessageReplyMarkup", chat_id=alice["id"], message_id=sent["message_id"],
                         reply_markup=KB)
    assert body["description"] == NOT_MODIFIED
    bare = await h.ok("sendMessage", chat_id=alice["id"], text="No buttons")
    later(h, 5)
    body = await h.error("editMessageReplyMarkup", chat_id=alice["id"], message_id=bare["message_id"])
    assert body["description"] == NOT_MODIFIED
    photo = await h.ok("sendPhoto", chat_id=alice["id"], photo="https://example.org/tea.jpg", caption="Green tea")
    body = await h.error("editMessageCaption", chat_id=alice["id"], message_id=photo["message_id"],
                         caption="Green tea")
    assert body["description"] == NOT_MODIFIED
    assert await h.ok("editMessageCaption", chat_id=alice["id"], message_id=photo["message_id"], caption="Black tea")


# ---- pacing ----------------------------------------------------------------------------------------------
async def test_one_chat_allows_a_short_burst_then_one_per_second(frozen: Harness) -> None:
    h = frozen
    alice = await started_user(h)
    later(h, 10)  # the reply to /start is long forgotten
    for i in range(3):
        await h.ok("sendMessage", chat_id=alice["id"], text=f"burst {i}")
    body = await h.error("sendMessage", chat_id=alice["id"], text="fourth in the same second")
    assert body["error_code"] == 429 and body["parameters"] == {"retry_after": 1}
    assert body["description"] == "Too Many Requests: retry after 1"
    later(h, 1)
    await h.ok("sendMessage", chat_id=alice["id"], text="a second later")
    body = await h.error("sendMessage", chat_id=alice["id"], text="and again at once")
    assert body["error_code"] == 429


async def test_group_gets_twenty_messages_a_minute(frozen: Harness) -> None:
    h = frozen
    alice = await started_user(h)
    group = await h.group([alice])
    for i in range(20):
        later(h, 1.5)  # slow enough for the per-chat rule: only the group rule can refuse
        await h.ok("sendMessage", chat_id=group["id"], text=f"news {i}")
    later(h, 1.5)
    body = await h.error("sendMessage", chat_id=group["id"], text="21st within the minute")
    assert body["error_code"] == 429
    wait = body["parameters"]["retry_after"]
    assert 1 <= wait <= 60 - 19 * 1.5
    later(h, wait)
    await h.ok("sendMessage", chat_id=group["id"], text="after the wait")


async def test_thirty_messages_a_second_in_total(frozen: Harness) -> None:
    h = frozen
    people = [await started_user(h, f"User {i}") for i in range(31)]
    later(h, 5)
    for person in people[:30]:
        await h.ok("sendMessage", chat_id=person["id"], text="broadcast")
    body = await h.error("sendMessage", chat_id=people[30]["id"], text="31st in the same second")
    assert body["error_code"] == 429
    later(h, 1)
    await h.ok("sendMessage", chat_id=people[30]["id"], text="next second")


async def test_limits_are_configurable() -> None:
    config = EmulatorConfig(frozen_clock=True, per_chat_burst=1, per_group_per_minute=2, global_per_second=5)
    running = await start_emulator(config)
    try:
        assert running.emulator.limits.per_chat_burst == 1
        assert running.emulator.limits.per_group_per_minute == 2
        assert running.emulator.limits.global_per_second == 5
    finally:
        await running.stop()


# ---- callback deadline and the unanswered record --------------------------------------------------------
async def test_callback_answer_deadline_is_fifteen_seconds(frozen: Harness) -> None:
    h = frozen
    alice = await started_user(h)
    await h.ok("sendMessage", chat_id=alice["id"], text="Card", reply_markup=KB)
    await h.control("tap", {"user_id": alice["id"], "label": "Add"})
    in_time = (await h.drain())[0]["callback_query"]
    await h.control("tap", {"user_id": alice["id"], "label": "Add"})
    late = (await h.drain())[0]["callback_query"]
    later(h, 14.9)
    assert await h.ok("answerCallbackQuery", callback_query_id=in_time["id"])
    later(h, 0.2)
    body = await h.error("answerCallbackQuery", callback_query_id=late["id"], text="too late")
    assert body["description"] == TOO_OLD
    unanswered = await h.get("unanswered")
    assert [q["callback_query_id"] for q in unanswered["callback_queries"]] == [late["id"]]
    assert unanswered["callback_queries"][0]["data"] == "add:1"


async def test_error_log_is_complete_and_never_trimmed(frozen: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    h = frozen
    monkeypatch.setattr(server, "CALL_LOG_LIMIT", 3)
    alice = await started_user(h)
    long_text = "x" * 5000
    await h.error("sendMessage", chat_id=alice["id"], text=long_text)
    for i in range(6):
        later(h, 2)
        await h.ok("sendMessage", chat_id=alice["id"], text=f"ok {i}")
    assert len(h.emu.calls) == 3  # the call log keeps the newest calls only
    errors = await h.get("errors")
    assert len(errors) == 1
    error = errors[0]
    assert error["method"] == "sendMessage" and error["error_code"] == 400
    assert error["description"] == "Bad Request: message is too long"
    assert error["params"]["chat_id"] == alice["id"]
    assert error["params"]["text"].endswith("(5000 chars)") and len(error["params"]["text"]) < 200
    assert await h.get("errors", since=error["seq"]) == []


async def test_client_reads_errors_unanswered_queries_and_moves_the_clock(frozen: Harness) -> None:
    h = frozen
    async with EmulatorClient(h.base, settle_timeout=2) as sb:
        alice = await sb.user("Alice")
        await h.control("send", {"user_id": alice.id, "text": "/start"})
        await h.drain()
        card = await h.ok("sendMessage", chat_id=alice.id, text="Card", reply_markup=KB)
        tapped = await h.control("tap_data", {"user_id": alice.id, "data": "gb:join:999999",
                                              "message_id": card["message_id"]})
        paying = await h.control("payments/pre_checkout", {"user_id": alice.id, "currency": "CNY",
                                                           "total_amount": 1, "payload": "order:1:stale"})
        pending = await sb.unanswered()
        assert bool(pending)
        assert [q["data"] for q in pending.callback_queries] == ["gb:join:999999"]
        assert pending.pre_checkout_queries[0]["invoice_payload"] == "order:1:stale"
        updates = await h.drain()
        assert updates[0]["callback_query"]["data"] == "gb:join:999999"
        assert updates[1]["pre_checkout_query"]["total_amount"] == 1
        await h.ok("answerCallbackQuery", callback_query_id=tapped["callback_query_id"])
        await h.ok("answerPreCheckoutQuery", pre_checkout_query_id=paying["pre_checkout_query_id"], ok=False,
                   error_message="The price changed")
        assert not await sb.unanswered()
        await sb.advance_clock(16)
        await h.error("answerCallbackQuery", callback_query_id=tapped["callback_query_id"])
        errors = await sb.error_responses()
        assert [(e.method, e.error_code, e.description) for e in errors] == [
            ("answerCallbackQuery", 400, TOO_OLD)]
        assert errors[0].params == {"callback_query_id": tapped["callback_query_id"]}


async def test_adopted_group_reaches_the_bot_without_a_membership_update(frozen: Harness) -> None:
    h = frozen
    async with EmulatorClient(h.base, settle_timeout=2) as sb:
        alice = await sb.user("Alice")
        quiet = await sb.adopt_group("Quiet group", [alice])
        group = await sb.adopt_group("Lost group", [alice], bot_admin=True)
        assert await h.drain() == []  # no my_chat_member: the bot never learns it was added
        await h.control("post", {"user_id": alice.id, "chat_id": quiet.id,
                                 "content": {"location": {"latitude": 1.0, "longitude": 2.0}}})
        assert await h.drain() == []  # privacy mode still applies to a plain member
        await h.control("post", {"user_id": alice.id, "chat_id": group.id, "content": {"text": "/catalog"}})
        await h.control("post", {"user_id": alice.id, "chat_id": group.id,
                                 "content": {"location": {"latitude": 31.2, "longitude": 121.5}}})
        got = await h.drain()
        assert got[0]["message"]["chat"]["id"] == group.id and got[0]["message"]["text"] == "/catalog"
        assert got[1]["message"]["location"]["latitude"] == 31.2
        body = await h.control("post", {"user_id": alice.id, "chat_id": group.id, "content": {"text": "x" * 4097}},
                               expect=400)
        assert "4096" in body["error"]


# ---- tests/strict.py: the check every e2e fixture runs at teardown ----------------------------------------
async def test_strict_check_names_undeclared_errors_unanswered_queries_and_the_apology(frozen: Harness) -> None:
    from bot.i18n import t
    from tests.strict import StrictTelegram

    h = frozen
    alice = await started_user(h)
    await h.error("sendMessage", chat_id=alice["id"], text="x" * 5000)
    await h.ok("sendMessage", chat_id=alice["id"], text="Card", reply_markup=KB)
    await h.control("tap", {"user_id": alice["id"], "label": "Add"})
    later(h, 2)
    await h.ok("sendMessage", chat_id=alice["id"], text=t("zh", "errors.internal"))
    problems = StrictTelegram(h.emu).violations()
    assert len(problems) == 3, problems
    assert "sendMessage -> 400 Bad Request: message is too long" in problems[0]
    assert problems[1].startswith("callback query never answered") and "add:1" in problems[1]
    assert problems[2].startswith("apology sent in chat")
    lenient = StrictTelegram(h.emu, allowed=("MESSAGE IS TOO LONG",), unanswered_ok=True)
    assert [p[:15] for p in lenient.violations()] == ["apology sent in"]


async def test_expected_errors_are_allowed_only_inside_their_block_and_must_happen(frozen: Harness) -> None:
    from tests.strict import StrictTelegram

    h = frozen
    alice = await started_user(h)
    check = StrictTelegram(h.emu)
    sent = await h.ok("sendMessage", chat_id=alice["id"], text="Card", reply_markup=KB)
    with check.expect("message is not modified"):
        await h.error("editMessageReplyMarkup", chat_id=alice["id"], message_id=sent["message_id"], reply_markup=KB)
    assert check.violations() == []
    with pytest.raises(AssertionError, match="no such error answer came"), check.expect("message is not modified"):
        await h.ok("editMessageText", chat_id=alice["id"], message_id=sent["message_id"], text="Changed")
    await h.error("editMessageText", chat_id=alice["id"], message_id=sent["message_id"], text="Changed")
    assert len(check.violations()) == 1  # the same error outside a declared block is a fault


async def test_user_pace_lets_each_action_start_with_a_full_burst() -> None:
    running = await start_emulator(EmulatorConfig(frozen_clock=True, user_pace_seconds=3.0))
    try:
        async with aiohttp.ClientSession() as session:
            h = Harness(running, session)
            alice = await started_user(h)
            for action in range(3):
                await h.control("send", {"user_id": alice["id"], "text": f"question {action}"})
                for i in range(3):  # three answers to one action: within Telegram's short burst
                    await h.ok("sendMessage", chat_id=alice["id"], text=f"answer {action}.{i}")
            await h.control("send", {"user_id": alice["id"], "text": "one more"})
            for i in range(3):
                await h.ok("sendMessage", chat_id=alice["id"], text=f"part {i}")
            body = await h.error("sendMessage", chat_id=alice["id"], text="a fourth message for one action")
            assert body["error_code"] == 429
    finally:
        await running.stop()
