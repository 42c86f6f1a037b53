"""Bot API method handlers, grouped by topic; importing this package fills the method table."""

from bot.emulator.methods import basic, chats, interactive, media, messages, payments  # noqa: F401
from bot.emulator.methods.registry import METHODS, Handler

__all__ = ["METHODS", "Handler"]
