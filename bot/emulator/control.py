"""HTTP control API (/control/...): drive users, inspect chats, wait for the bot. Used by client.py and the page."""

from __future__ import annotations

import base64
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import BodyPartReader, web

from bot.emulator import actions
from bot.emulator.delivery import SettleTimeout
from bot.emulator.engine import ControlError, Emulator
from bot.emulator.errors import ApiError
from bot.emulator.state import JSON
from bot.emulator.updates import user_json

log = logging.getLogger(__name__)
EMU = web.AppKey("emulator", Emulator)
Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


TOKEN_HEADER = "X-Sandbox-Token"


def _authorised(request: web.Request) -> bool:
    """With a control token configured (a sandbox reachable from other machines), every control call carries
    it: in the header, or in the query for what a page cannot add headers to (an <img> of a sent photo)."""
    expected = request.app[EMU].config.control_token
    if not expected:
        return True
    given = request.headers.get(TOKEN_HEADER) or request.query.get("token") or ""
    return hmac.compare_digest(given.encode(), expected.encode())


def _guard(handler: Route) -> Route:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        if not _authorised(request):
            return web.json_response({"ok": False, "error": "sandbox token required"}, status=401)
        try:
            return await handler(request)
        except ControlError as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        except ApiError as exc:
            return web.json_response({"ok": False, "error": exc.description, **exc.envelope()}, status=400)
        except web.HTTPException:
            raise
        except Exception as exc:
            log.exception("control %s failed", request.path)
            return web.json_response({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, status=500)

    return wrapped


async def _body(request: web.Request) -> JSON:
    if request.content_type.startswith("multipart/"):
        return await _multipart(request)
    if not request.can_read_body:
        return dict(request.query)
    try:
        data = await request.json()
    except ValueError as exc:
        raise ControlError("request body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise ControlError("request body must be a JSON object")
    return {**request.query, **data}


async def _multipart(request: web.Request) -> JSON:
    data: JSON = dict(request.query)
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is not None:
            data[part.name] = {
                "filename": part.filename,
                "content_type": part.headers.get("Content-Type"),
                "data": bytes(await part.read()),
            }
        else:
            data[part.name] = await part.text()
    return data


def _int(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ControlError(f"{name} must be an integer") from exc


def _truthy(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


async def _wait(emu: Emulator, body: JSON) -> JSON:
    """Wait (by default) until the bot confirmed every update, so callers see the bot's reaction."""
    if not _truthy(body.get("wait"), True):
        return {}
    timeout = float(body.get("timeout") or emu.config.settle_timeout)
    try:
        await emu.queue.settle(timeout)
    except SettleTimeout as exc:
        return {"settled": False, "settle_error": str(exc)}
    return {"settled": True}


async def _settled(emu: Emulator, body: JSON, result: JSON) -> web.Response:
    return web.json_response({**result, **await _wait(emu, body)})


def _user_and_chat(emu: Emulator, body: JSON) -> tuple[Any, Any]:
    user = emu.user(body.get("user_id"))
    return user, emu.control_chat(body.get("chat_id"), user)


def _where(body: JSON) -> JSON:
    return {
        "thread_id": _int(body.get("thread_id"), "thread_id"),
        "reply_to_message_id": _int(body.get("reply_to_message_id"), "reply_to_message_id"),
    }


# ---- handlers --------------------------------------------------------------------------------------------
async def state(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    return web.json_response(
        {
            "bot": {**user_json(emu.bot), "token": emu.config.token},
            "users": [
                {**user_json(u), "lang": u.lang, "blocked_bot": u.blocked_bot, "started": u.started}
                for u in emu.users.values()
                if not u.is_bot
            ],
            "chats": [emu.chat_state(c) for c in emu.chats.values()],
            "webhook": emu.queue.webhook_info(),
            "pending_updates": emu.queue.unsettled(),
            "event_seq": emu.event_seq,
            "config": {"time_scale": emu.clock.scale, "flood_limits": emu.limiter.enabled},
        }
    )


async def create_user(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    body = await _body(request)
    name = str(body.get("name") or "").strip()
    if not name:
        raise ControlError("name is required")
    user = emu.add_user(name, lang=body.get("lang"), username=body.get("username"), user_id=_int(body.get("id"), "id"))
    await emu.emit("user", user=user_json(user))
    return web.json_response({**user_json(user), "lang": user.lang, "private_chat_id": user.id})


async def create_chat(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    body = await _body(request)
    members = [emu.user(uid) for uid in body.get("members") or []]
    chat = await emu.create_group(
        str(body.get("type") or "group"),
        str(body.get("title") or "Group"),
        members,
        forum=_truthy(body.get("forum"), False),
        bot_member=_truthy(body.get("bot_member"), True),
        bot_admin=_truthy(body.get("bot_admin"), False),
    )
    return await _settled(emu, body, emu.chat_state(chat))


async def set_member(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    body = await _body(request)
    chat = emu.control_chat(request.match_info["chat_id"])
    user_id = _int(body.get("user_id"), "user_id")
    user = emu.bot if user_id == emu.bot.id else emu.user(user_id)
    status = str(body.get("status") or "member")
    if status not in ("member", "administrator", "left", "kicked", "restricted", "creator"):
        raise ControlError(f"unknown status {status}")
    actor = emu.user(body["by"]) if body.get("by") else None
    await emu.set_member(chat, user, status, actor=actor)
    return await _settled(emu, body, emu.chat_state(chat))


async def create_topic(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    body = await _body(request)
    chat = emu.control_chat(request.match_info["chat_id"])
    creator = emu.user(body["user_id"]) if body.get("user_id") else None
    if creator is None:
        creator = next((emu.users[uid] for uid, s in chat.members.items() if s == "creator"), emu.bot)
    try:
        topic = await emu.create_topic(chat, str(body.get("name") or "Topic"), creator)
    except ApiError as exc:
        raise ControlError(exc.description) from exc
    return await _settled(
        emu, body, {"message_thread_id": topic.thread_id, "name": topic.name, "icon_color": topic.icon_color}
    )


async def migrate(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    body = await _body(request)
    chat = emu.control_chat(request.match_info["chat_id"])
    new = await emu.migrate(chat)
    return await _settled(emu, body, {"old_chat_id": chat.id, "chat_id": new.id, **emu.chat_state(new)})


async def messages(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    chat = emu.control_chat(request.match_info["chat_id"])
    thread_id = _int(request.query.get("thread_id"), "thread_id")
    user_id = _int(request.query.get("user_id"), "user_id")
    if (
        user_id is not None
        and chat.is_group
        and emu.status(chat, user_id) not in ("creator", "administrator", "member", "restricted")
    ):
        return web.json_response([])
    found = [
        emu.view(m)
        for m in sorted(chat.messages.values(), key=lambda m: m.message_id)
        if not m.deleted and (thread_id is None or m.thread_id == thread_id)
    ]
    return web.json_response(found)


async def send(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    body = await _body(request)
    user, chat = _user_and_chat(emu, body)
    stored = await actions.send_text(emu, user, chat, str(body.get("text") or ""), **_where(body))
    return await _settled(emu, body, {"message_id": stored.message_id, "chat_id": chat.id})


async def contact(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    body = await _body(request)
    user, chat = _user_and_chat(emu, body)
    stored = await actions.share_contact(emu, user, chat, body.get("phone"))
    return await _settled(emu, body, {"message_id": stored.message_id, "chat_id": chat.id})


def _file_route(kind: str) -> Route:
    async def upload(request: web.Request) -> web.Response:
        emu = request.app[EMU]
        body = await _body(request)
        user, chat = _user_and_chat(emu, body)
        part = body.get("file")
        if isinstance(part, dict):
            data, filename, content_type = part["data"], part.get("filename"), part.get("content_type")
        elif isinstance(body.get("data_base64"), str):
            data, filename, content_type = (
                base64.b64decode(body["data_base64"]),
                body.get("filename"),
                body.get("content_type"),
            )
        elif kind == "sticker":
            data, filename, content_type = b"", None, None
        else:
            raise ControlError("send the file as multipart part 'file' or as data_base64")
        stored = await actions.send_file(
            emu,
            user,
            chat,
            kind,
            data,
            filename=filename,
            content_type=content_type,
            caption=body.get("caption"),
            **_where(body),
        )
        return await _settled(emu, body, {"message_id": stored.message_id, "chat_id": chat.id})

    return upload


async def tap(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    body = await _body(request)
    user, chat = _user_and_chat(emu, body)
    result = await actions.tap(
        emu,
        user,
        chat,
        message_id=_int(body.get("message_id"), "message_id"),
        label=body.get("label"),
        row=_int(body.get("row"), "row"),
        col=_int(body.get("col"), "col"),
    )
    out: JSON = {"update_id": result.update_id, "button": result.button, "url": result.url, "toast": None}
    if result.deeplink is not None:
        out["deeplink"] = result.deeplink
        out["deeplink_error"] = result.deeplink_error
    if result.record is None:
        return web.json_response(out)
    out.update(await _wait(emu, body))
    answer = result.record.answer
    out["answered"] = result.record.answered
    if answer and (answer.get("text") or answer.get("url")):
        out["toast"] = {"text": answer.get("text"), "show_alert": answer.get("show_alert"), "url": answer.get("url")}
    return web.json_response(out)


async def press(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    body = await _body(request)
    user, chat = _user_and_chat(emu, body)
    stored = await actions.press(emu, user, chat, str(body.get("label") or ""))
    return await _settled(emu, body, {"message_id": stored.message_id, "chat_id": chat.id})


async def deeplink(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    body = await _body(request)
    user = emu.user(body.get("user_id"))
    stored = await actions.open_deeplink(emu, user, str(body.get("payload") or ""))
    return await _settled(emu, body, {"message_id": stored.message_id, "chat_id": user.id})


async def inline(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    body = await _body(request)
    user = emu.user(body.get("user_id"))
    result = await actions.inline_query(
        emu, user, str(body.get("query") or ""), body.get("chat_type"), offset=str(body.get("offset") or "")
    )
    return await _settled(emu, body, result)


async def inline_choose(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    body = await _body(request)
    user = emu.user(body.get("user_id"))
    chat = emu.control_chat(body["chat_id"]) if body.get("chat_id") else None
    result = await actions.choose_inline(emu, user, str(body.get("result_id") or ""), chat)
    return await _settled(emu, body, result)


TEST_CARDS = {"4242424242424242": "ok", "4000000000000002": "declined"}


async def pay(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    body = await _body(request)
    user, chat = _user_and_chat(emu, body)
    # The web chat's payment sheet takes Stripe's test card numbers; a script may send them too.
    card = str(body.get("card") or "ok").replace(" ", "")
    card = TEST_CARDS.get(card, card)
    if card not in ("ok", "declined"):
        raise ControlError("card must be ok or declined (or the test card 4242 4242 4242 4242 / 4000 0000 0000 0002)")
    order_info = body.get("order_info")
    if order_info is not None and not isinstance(order_info, dict):
        raise ControlError("order_info must be an object")
    result = await actions.pay(
        emu,
        user,
        chat,
        message_id=_int(body.get("message_id"), "message_id"),
        card=card,
        link=body.get("link"),
        duplicate=_truthy(body.get("duplicate"), False),
        order_info=order_info,
    )
    return await _settled(emu, body, result)


async def block(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    body = await _body(request)
    user = emu.user(body.get("user_id"))
    await actions.set_blocked(emu, user, _truthy(body.get("blocked"), True))
    return await _settled(emu, body, {"user_id": user.id, "blocked_bot": user.blocked_bot})


async def toasts(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    return web.json_response(emu.user(request.match_info["user_id"]).toasts)


async def events(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    since = _int(request.query.get("since"), "since") or 0
    timeout = min(60.0, float(request.query.get("timeout") or 0))
    found = await emu.events_since(since, timeout)
    # the body stays a plain list (older callers); the header tells a caller past the end where numbering is
    return web.json_response(found, headers={"X-Event-Seq": str(emu.event_seq)})


async def settle(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    body = await _body(request)
    result = await _wait(emu, {**body, "wait": True})
    return web.json_response(result, status=200 if result["settled"] else 504)


async def config(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    body = await _body(request)
    if body.get("time_scale") is not None:
        scale = float(body["time_scale"])
        if scale <= 0:
            raise ControlError("time_scale must be positive")
        emu.set_time_scale(scale)
    if body.get("flood_limits") is not None:
        emu.set_flood_limits(_truthy(body["flood_limits"], True))
    return web.json_response({"time_scale": emu.clock.scale, "flood_limits": emu.limiter.enabled})


async def reset(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    emu.reset()
    await emu.emit("reset")
    return web.json_response({"ok": True})


async def calls(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    wanted = (request.query.get("method") or "").lower()
    return web.json_response([c for c in emu.calls if not wanted or c["method"].lower() == wanted])


async def file(request: web.Request) -> web.StreamResponse:
    emu = request.app[EMU]
    record = emu.files.get(request.match_info["file_id"])
    if record is None:
        return web.json_response({"ok": False, "error": "file not found"}, status=404)
    return web.Response(body=record.data, content_type=record.mime_type)


def add_routes(app: web.Application) -> None:
    routes: list[tuple[str, str, Route]] = [
        ("GET", "/control/state", state),
        ("POST", "/control/users", create_user),
        ("POST", "/control/chats", create_chat),
        ("POST", "/control/chats/{chat_id}/members", set_member),
        ("POST", "/control/chats/{chat_id}/topics", create_topic),
        ("POST", "/control/chats/{chat_id}/migrate", migrate),
        ("GET", "/control/chats/{chat_id}/messages", messages),
        ("POST", "/control/send", send),
        ("POST", "/control/contact", contact),
        ("POST", "/control/photo", _file_route("photo")),
        ("POST", "/control/sticker", _file_route("sticker")),
        ("POST", "/control/voice", _file_route("voice")),
        ("POST", "/control/document", _file_route("document")),
        ("POST", "/control/tap", tap),
        ("POST", "/control/press", press),
        ("POST", "/control/deeplink", deeplink),
        ("POST", "/control/inline", inline),
        ("POST", "/control/inline/choose", inline_choose),
        ("POST", "/control/pay", pay),
        ("POST", "/control/block", block),
        ("GET", "/control/users/{user_id}/toasts", toasts),
        ("GET", "/control/events", events),
        ("POST", "/control/settle", settle),
        ("POST", "/control/config", config),
        ("POST", "/control/reset", reset),
        ("GET", "/control/calls", calls),
        ("GET", "/control/files/{file_id}", file),
    ]
    for verb, path, handler in routes:
        app.router.add_route(verb, path, _guard(handler))


# ---- strictness: what went wrong, and what a fuzzing client may send ---------------------------------------
async def errors(request: web.Request) -> web.Response:
    """Every error answer the bot got (never trimmed), optionally only those after call seq `since`."""
    emu = request.app[EMU]
    since = _int(request.query.get("since"), "since") or 0
    return web.json_response(emu.error_responses(since), headers={"X-Call-Seq": str(emu.call_seq)})


async def unanswered(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    return web.json_response(
        {
            "callback_queries": [r.summary() for r in emu.unanswered_callbacks()],
            "pre_checkout_queries": [r.summary() for r in emu.unanswered_pre_checkouts()],
        }
    )


async def clock(request: web.Request) -> web.Response:
    emu = request.app[EMU]
    body = await _body(request)
    advance = float(body.get("advance") or 0)
    if advance < 0:
        raise ControlError("advance must not be negative")
    emu.clock.advance(advance)
    return web.json_response({"frozen": emu.clock.frozen, "now": emu.clock.now()})


async def adopt_group(request: web.Request) -> web.Response:
    from bot.emulator import raw_actions

    emu = request.app[EMU]
    body = await _body(request)
    members = [emu.user(uid) for uid in body.get("members") or []]
    chat = raw_actions.adopt_group(
        emu,
        str(body.get("type") or "group"),
        str(body.get("title") or "Group"),
        members,
        bot_admin=_truthy(body.get("bot_admin"), False),
    )
    return web.json_response(emu.chat_state(chat))


async def post_content(request: web.Request) -> web.Response:
    from bot.emulator import raw_actions

    emu = request.app[EMU]
    body = await _body(request)
    user, chat = _user_and_chat(emu, body)
    content = body.get("content")
    if not isinstance(content, dict):
        raise ControlError("content must be an object")
    stored = await raw_actions.post_content(emu, user, chat, content, **_where(body))
    return await _settled(emu, body, {"message_id": stored.message_id, "chat_id": chat.id})


async def tap_data(request: web.Request) -> web.Response:
    from bot.emulator import raw_actions

    emu = request.app[EMU]
    body = await _body(request)
    user, chat = _user_and_chat(emu, body)
    result = await raw_actions.tap_data(
        emu, user, chat, str(body.get("data") or ""), message_id=_int(body.get("message_id"), "message_id")
    )
    out = {**result, **await _wait(emu, body)}
    record = emu.callbacks[result["callback_query_id"]]
    out["answered"] = record.answered
    return web.json_response(out)


async def raw_payment(request: web.Request) -> web.Response:
    from bot.emulator import raw_actions

    emu = request.app[EMU]
    body = await _body(request)
    user = emu.user(body.get("user_id"))
    amount = _int(body.get("total_amount"), "total_amount") or 0
    args = (emu, user, str(body.get("currency") or ""), amount, str(body.get("payload") or ""))
    stage = request.match_info["stage"]
    if stage == "pre_checkout":
        result = await raw_actions.pre_checkout(*args)
    elif stage == "successful":
        result = await raw_actions.successful_payment(*args)
    else:
        raise ControlError("stage is pre_checkout or successful")
    return await _settled(emu, body, result)


def add_strict_routes(app: web.Application) -> None:
    routes: list[tuple[str, str, Route]] = [
        ("GET", "/control/errors", errors),
        ("GET", "/control/unanswered", unanswered),
        ("POST", "/control/clock", clock),
        ("POST", "/control/chats/adopt", adopt_group),
        ("POST", "/control/post", post_content),
        ("POST", "/control/tap_data", tap_data),
        ("POST", "/control/payments/{stage}", raw_payment),
    ]
    for verb, path, handler in routes:
        app.router.add_route(verb, path, _guard(handler))
