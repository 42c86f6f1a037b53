"""A Telegram Bot API emulator: same URLs, encodings, envelope and rules, plus a control API for tests."""

from bot.emulator.config import EmulatorConfig
from bot.emulator.engine import Emulator
from bot.emulator.server import RunningEmulator, start_emulator

__all__ = ["Emulator", "EmulatorConfig", "RunningEmulator", "start_emulator"]
