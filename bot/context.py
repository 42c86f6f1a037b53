"""The application context handed to handlers, jobs and views: one object built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiogram import Bot

from bot.config import Settings
from store.db import Database

if TYPE_CHECKING:
    from bot.etiquette import Etiquette
    from bot.outbox import OutboxSender
    from bot.scheduler import Scheduler


@dataclass
class AppContext:
    settings: Settings
    db: Database
    bot: Bot
    bot_username: str = "groupcart_bot"
    scheduler: Scheduler | None = None
    outbox: OutboxSender | None = None
    etiquette: Etiquette | None = None
    # Feature singletons (search index, NLU classifier, admission gates) keyed by name, built lazily.
    extras: dict[str, Any] = field(default_factory=dict)

    def is_config_admin(self, user_id: int) -> bool:
        return user_id in self.settings.admins
