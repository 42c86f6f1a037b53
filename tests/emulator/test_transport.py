"""URL shape, request encodings, the envelope and the error shapes for malformed requests."""

from __future__ import annotations

import aiohttp

from tests.emulator.conftest import Harness


async def test_get_me_in_every_encoding(h: Harness) -> None:
    for encoding in ("json", "query", "form", "multipart"):
        status, body = await h.call("getMe", encoding=encoding)
        assert status == 200
        assert body["ok"] is True
        assert body["result"]["username"] == "groupcart_bot"
        assert body["result"]["is_bot"] is True
        assert body["result"]["id"] == 123456


async def test_method_names_are_case_insensitive(h: Harness) -> None:
    for name in ("getme", "GETME", "GetMe"):
        status, body = await h.call(name)
        assert status == 200 and body["ok"]


async def test_unknown_method_is_404_not_found(h: Harness) -> None:
    status, body = await h.call("sendTelepathy", chat_id=1)
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_wrong_token_is_401(h: Harness) -> None:
    async with h.session.post(f"{h.base}/bot999:WRONG/getMe") as resp:
        assert resp.status == 401
        assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_bad_json_body_is_400(h: Harness) -> None:
    async with h.session.post(f"{h.api}/sendMessage", data=b"{not json",
                              headers={"Content-Type": "application/json"}) as resp:
        assert resp.status == 400
        body = await resp.json()
    assert body == {"ok": False, "error_code": 400, "description": "Bad Request: can't parse JSON object"}


async def test_nested_json_arrives_as_string_in_form_and_multipart(h: Harness) -> None:
    alice = await h.user()
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    for encoding in ("form", "multipart", "query", "json"):
        result = await h.ok("sendMessage", encoding=encoding, chat_id=str(alice["id"]), text=f"via {encoding}",
                            reply_markup=markup)
        assert result["reply_markup"] == markup
        assert result["text"] == f"via {encoding}"
        h.emu.limiter.reset()


async def test_missing_and_mistyped_parameters(h: Harness) -> None:
    alice = await h.user()
    body = await h.error("sendMessage", text="hi")
    assert body["description"] == "Bad Request: chat_id is empty"
    body = await h.error("sendMessage", chat_id=alice["id"])
    assert body["description"] == "Bad Request: message text is empty"
    body = await h.error("sendMessage", chat_id="not-a-number", text="x")
    assert body["description"] == "Bad Request: chat not found"
    body = await h.error("sendMessage", chat_id=424242, text="x")
    assert body["description"] == "Bad Request: chat not found"
    body = await h.error("deleteMessage", chat_id=alice["id"], message_id="abc")
    assert body["error_code"] == 400 and "must be a valid Number" in body["description"]
    body = await h.error("sendMessage", chat_id=alice["id"], text="x", reply_markup="{broken")
    assert body["description"] == "Bad Request: can't parse reply keyboard markup JSON object"
    body = await h.error("getUpdates", allowed_updates="nope")
    assert body["error_code"] == 400


async def test_crashing_handler_answers_500_json_and_server_survives(h: Harness) -> None:
    from bot.emulator.methods import METHODS

    async def boom(emu: object, params: object) -> None:
        raise RuntimeError("kaput")

    METHODS["explode"] = boom
    try:
        status, body = await h.call("explode")
    finally:
        del METHODS["explode"]
    assert status == 500
    assert body["ok"] is False and body["error_code"] == 500
    assert (await h.ok("getMe"))["username"] == "groupcart_bot"


async def test_calls_are_recorded_with_params_and_errors(h: Harness) -> None:
    alice = await h.user()
    await h.ok("sendMessage", chat_id=alice["id"], text="hello")
    await h.error("sendMessage", chat_id=alice["id"], text="")
    calls = await h.get("calls", method="sendMessage")
    assert [c["ok"] for c in calls] == [True, False]
    assert calls[0]["params"]["text"] == "hello"
    assert calls[0]["result"]["text"] == "hello"
    assert calls[1]["error"]["description"] == "Bad Request: message text is empty"


async def test_control_errors_are_400_json(h: Harness) -> None:
    body = await h.control("send", {"user_id": 5, "text": "x"}, expect=400)
    assert "unknown user" in body["error"]
    async with h.session.post(f"{h.base}/control/send", data=b"[1,2") as resp:
        assert resp.status == 400


async def test_file_download_needs_right_token(h: Harness) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{h.base}/file/botWRONG/photos/x.jpg") as resp:
        assert resp.status == 401


async def test_web_dir_is_served_statically(tmp_path: object) -> None:
    from pathlib import Path

    from bot.emulator.server import EmulatorConfig, start_emulator

    web_dir = Path(str(tmp_path))
    (web_dir / "index.html").write_text("<h1>chat</h1>")
    (web_dir / "app.js").write_text("console.log(1)")
    async with await start_emulator(EmulatorConfig(web_dir=web_dir)) as running, aiohttp.ClientSession() as s:
        async with s.get(f"{running.base_url}/") as resp:
            assert resp.status == 200 and await resp.text() == "<h1>chat</h1>"
        async with s.get(f"{running.base_url}/app.js") as resp:
            assert await resp.text() == "console.log(1)"
        async with s.get(f"{running.base_url}/../secret") as resp:
            assert resp.status == 404
        async with s.get(f"{running.base_url}/bot{running.token}/getMe") as resp:
            assert (await resp.json())["ok"] is True


async def test_standalone_module_prints_base_url() -> None:
    import asyncio
    import sys

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.emulator", "--port", "0", stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        base_url = line.split(" on ")[1].split(" ")[0]
        async with aiohttp.ClientSession() as s, s.get(f"{base_url}/bot123456:SANDBOX-TOKEN/getMe") as resp:
            assert (await resp.json())["result"]["username"] == "groupcart_bot"
    finally:
        process.terminate()
        await process.wait()
