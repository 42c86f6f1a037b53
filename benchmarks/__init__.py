"""Benchmarks (README: Measurements). Each imports `bot` before aiogram, as `groupcart run` does: the bot defers
building aiogram's Telegram types and methods to first use (bot/lazy_models.py), and a benchmark that imported
aiogram first would measure an eager import (about 65 MB more RSS, 2 s more start) that no bot process pays."""

import bot  # noqa: F401  (first: see above)
