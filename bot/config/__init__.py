"""Settings: config.yaml, overridden by GROUPCART_* environment variables; secrets only from the environment.

The composition root (bot.app) reads these and hands plain values or policy objects to store/ services,
so the shop core never imports configuration.
"""

from bot.config.settings import (
    ConfigError,
    Settings,
    load_settings,
)

__all__ = ["ConfigError", "Settings", "load_settings"]
