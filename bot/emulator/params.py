"""Typed access to Bot API parameters whatever encoding they arrived in.

Telegram accepts query strings, JSON bodies, form-urlencoded and multipart bodies. In the form encodings every
value is a string and nested objects (reply_markup, prices, ...) are JSON strings; in JSON bodies they are real
JSON values. Getters accept both so handlers never care.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.errors import ApiError, bad_request

Text = str
Integer = int
Flag = bool


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Params:
    values: dict[str, Any] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)

    def has(self, name: Text) -> Flag:
        value = self.values.get(name)
        return value is not None and value != ""

    def raw(self, name: Text) -> Any:
        return self.values.get(name)

    def str(self, name: Text, default: Text | None = None) -> Text | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value)

    def required_str(self, name: Text) -> Text:
        value = self.str(name)
        if value is None or value == "":
            raise bad_request(f'parameter "{name}" is required')
        return value

    def int(self, name: Text, default: Integer | None = None) -> Integer | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise bad_request(f'field "{name}" must be a valid Number')

    def required_int(self, name: Text, empty_message: Text | None = None) -> Integer:
        value = self.int(name)
        if value is None:
            raise bad_request(empty_message or f'parameter "{name}" is required')
        return value

    def bool(self, name: Text, default: Flag = False) -> Flag:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        if isinstance(value, str):
            return value.strip().lower() in {"true", "1", "yes", "on"}
        return default

    def json(self, name: Text, what: Text | None = None) -> Any:
        """A nested object: parsed JSON in JSON bodies, a JSON string in form encodings."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError as exc:
                raise bad_request(f"can't parse {what or name} JSON object") from exc
        return value

    def upload(self, name: Text) -> Upload | None:
        """A file sent in the multipart body, either under the field itself or via `attach://<part>`."""
        if name in self.uploads:
            return self.uploads[name]
        value = self.values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            part = value[len("attach://") :]
            if part not in self.uploads:
                raise bad_request(f"file for attach://{part} not found in the request")
            return self.uploads[part]
        return None


def chat_id_arg(params: Params, name: str = "chat_id") -> int | str:
    value = params.values.get(name)
    if value is None or value == "":
        raise ApiError(400, f"Bad Request: {name} is empty")
    if isinstance(value, bool):
        raise bad_request("chat not found")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.startswith("@"):
        return text
    try:
        return int(text)
    except ValueError as exc:
        raise bad_request("chat not found") from exc
