"""groupcart's Telegram side: the aiogram bot, its emulator, scheduler and command line."""

from bot.lazy_models import import_aiogram

# First, before any module here imports aiogram: see bot/lazy_models.py.
import_aiogram()
