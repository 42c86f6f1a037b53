"""Callback data shared by several features. Feature-specific factories live in bot/callbacks/<feature>.py.

Prefixes are short because callback_data is limited to 64 bytes; every factory's prefix must be unique."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class MenuCB(CallbackData, prefix="m"):
    """Main-menu buttons: action is catalog | search | cart | orders | help | language | points | invite ..."""

    action: str


class LangCB(CallbackData, prefix="lang"):
    code: str
