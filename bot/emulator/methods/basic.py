"""Bot identity, updates/webhook, commands and profile texts."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

from bot.emulator.engine import Emulator
from bot.emulator.errors import bad_request
from bot.emulator.lengths import TRIM
from bot.emulator.methods.registry import method
from bot.emulator.params import Params
from bot.emulator.rules import SECRET_TOKEN_RE
from bot.emulator.state import JSON
from bot.emulator.updates import user_json

COMMAND_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")
SCOPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
}


@method("getMe")
async def get_me(emu: Emulator, p: Params) -> JSON:
    return {
        **user_json(emu.bot),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": emu.config.supports_inline_queries,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("logOut", "close")
async def log_out(emu: Emulator, p: Params) -> bool:
    return True


def _allowed_updates(p: Params) -> list[str] | None:
    value = p.json("allowed_updates", "allowed updates")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise bad_request("can't parse allowed updates JSON object")
    return value


@method("getUpdates")
async def get_updates(emu: Emulator, p: Params) -> list[JSON]:
    return await emu.queue.get_updates(
        offset=p.int("offset"),
        limit=p.int("limit", 100) or 0,  # clamped to 1..100 as Telegram does: 0 means 1
        timeout=float(p.int("timeout", 0) or 0),
        allowed=_allowed_updates(p),
    )


@method("setWebhook")
async def set_webhook(emu: Emulator, p: Params) -> bool:
    url = p.str("url", "") or ""
    drop = p.bool("drop_pending_updates")
    if not url:
        await emu.queue.delete_webhook(drop)
        return True
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise bad_request("invalid webhook URL specified")
    secret = p.str("secret_token")
    if secret is not None and secret != "":
        if len(secret) > 256:
            raise bad_request("secret token is too long")
        if not SECRET_TOKEN_RE.match(secret):
            raise bad_request("secret token contains unallowed characters")
    max_connections = min(100, max(1, p.int("max_connections", 40) or 40))
    await emu.queue.set_webhook(url, secret or None, _allowed_updates(p), max_connections, drop)
    return True


@method("deleteWebhook")
async def delete_webhook(emu: Emulator, p: Params) -> bool:
    await emu.queue.delete_webhook(p.bool("drop_pending_updates"))
    return True


@method("getWebhookInfo")
async def get_webhook_info(emu: Emulator, p: Params) -> JSON:
    return emu.queue.webhook_info()


def _scope_key(p: Params) -> str:
    scope = p.json("scope", "BotCommandScope") or {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in SCOPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    kind = scope["type"]
    if kind in ("chat", "chat_administrators", "chat_member"):
        if "chat_id" not in scope:
            raise bad_request('can\'t parse BotCommandScope: field "chat_id" must be present')
        if kind == "chat_member" and "user_id" not in scope:
            raise bad_request('can\'t parse BotCommandScope: field "user_id" must be present')
    return json.dumps([kind, scope.get("chat_id"), scope.get("user_id")])


@method("setMyCommands")
async def set_my_commands(emu: Emulator, p: Params) -> bool:
    commands = p.json("commands", "commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    cleaned: list[JSON] = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: expected an Object")
        command, description = _command_fields(item)
        if not set(command) <= COMMAND_CHARS:
            raise bad_request("BOT_COMMAND_INVALID")
        cleaned.append({"command": command, "description": description})
    emu.commands[(_scope_key(p), p.str("language_code", "") or "")] = cleaned
    return True


def _command_fields(item: JSON) -> tuple[str, str]:
    """TDLib's checks (BotCommand.cpp): both fields trimmed, one leading "/" dropped, then counted in code points;
    only the character set is left to Telegram's server (BOT_COMMAND_INVALID)."""
    command = str(item.get("command", "")).strip(TRIM)
    command = command[1:] if command.startswith("/") else command
    description = str(item.get("description", "")).strip(TRIM)
    if not command:
        raise bad_request("command must be non-empty")
    if len(command) > 32:
        raise bad_request("command length must not exceed 32")
    if not description:
        raise bad_request("command description must be non-empty")
    if len(description) > 256:
        raise bad_request("command description length must not exceed 256")
    return command, description


@method("getMyCommands")
async def get_my_commands(emu: Emulator, p: Params) -> list[JSON]:
    return emu.commands.get((_scope_key(p), p.str("language_code", "") or ""), [])


@method("deleteMyCommands")
async def delete_my_commands(emu: Emulator, p: Params) -> bool:
    emu.commands.pop((_scope_key(p), p.str("language_code", "") or ""), None)
    return True


PROFILE_FIELDS = {"name": 64, "description": 512, "short_description": 120}


def _profile_text(emu: Emulator, field: str, lang: str) -> str:
    default = emu.config.first_name if field == "name" else ""
    return emu.profile.get((field, lang), emu.profile.get((field, ""), default))


async def _set_profile(emu: Emulator, p: Params, field: str) -> bool:
    value = p.str(field, "") or ""
    if len(value) > PROFILE_FIELDS[field]:
        raise bad_request(f"bot {field.replace('_', ' ')} is too long")
    lang = p.str("language_code", "") or ""
    if value:
        emu.profile[(field, lang)] = value
    else:
        emu.profile.pop((field, lang), None)
    return True


@method("setMyName")
async def set_my_name(emu: Emulator, p: Params) -> bool:
    return await _set_profile(emu, p, "name")


@method("getMyName")
async def get_my_name(emu: Emulator, p: Params) -> JSON:
    return {"name": _profile_text(emu, "name", p.str("language_code", "") or "")}


@method("setMyDescription")
async def set_my_description(emu: Emulator, p: Params) -> bool:
    return await _set_profile(emu, p, "description")


@method("getMyDescription")
async def get_my_description(emu: Emulator, p: Params) -> JSON:
    return {"description": _profile_text(emu, "description", p.str("language_code", "") or "")}


@method("setMyShortDescription")
async def set_my_short_description(emu: Emulator, p: Params) -> bool:
    return await _set_profile(emu, p, "short_description")


@method("getMyShortDescription")
async def get_my_short_description(emu: Emulator, p: Params) -> JSON:
    return {"short_description": _profile_text(emu, "short_description", p.str("language_code", "") or "")}


@method("setMyDefaultAdministratorRights")
async def set_default_admin_rights(emu: Emulator, p: Params) -> bool:
    rights: Any = p.json("rights", "ChatAdministratorRights")
    emu.admin_rights[p.bool("for_channels")] = rights or {}
    return True


@method("getMyDefaultAdministratorRights")
async def get_default_admin_rights(emu: Emulator, p: Params) -> JSON:
    base = {
        key: False
        for key in (
            "is_anonymous",
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_promote_members",
            "can_change_info",
            "can_invite_users",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
        )
    }
    return {**base, **emu.admin_rights.get(p.bool("for_channels"), {})}
