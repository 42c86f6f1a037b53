"""The application context handed to handlers, jobs and views: one object built by the composition root
(bot/app.py `create_app`), holding every dependency as a typed field. It is sealed once built: nothing may
replace a dependency afterwards, so what a handler sees is what the composition root wired."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.fsm.storage.base import BaseStorage

from bot.config import Settings
from bot.wiring import Wiring
from store.db import Database

if TYPE_CHECKING:
    from bot.chat_language import GroupLanguages
    from bot.etiquette import Etiquette
    from bot.flash_cards import FlashCardRefresher
    from bot.groupbuy_cards import CardRefresher
    from bot.metrics import Metrics
    from bot.nlu_service import Understanding
    from bot.payment_inbox import PaymentInbox
    from bot.referral_codes import ReferralCodes
    from bot.tap_guard import TapMemory
    from bot.update_guard import UpdateLedger
    from bot.user_rows import UserRowWriter
    from store.analytics.events import EventCounter
    from store.flashsale import AdmissionGate
    from store.recommend.service import Recommender
    from store.search import SearchEngine


@dataclass
class AppContext:
    settings: Settings
    db: Database
    bot: Bot
    bot_username: str = "groupcart_bot"
    wiring: Wiring = field(default_factory=Wiring)
    etiquette: Etiquette | None = None
    # Services; create_app builds each one (tests that need only a few leave the rest unset).
    search: SearchEngine = field(default=None)  # type: ignore[assignment]
    understanding: Understanding = field(default=None)  # type: ignore[assignment]
    admission: AdmissionGate = field(default=None)  # type: ignore[assignment]
    # Concurrent database operations the flash storm path may hold (gate batches, user rows).
    db_slots: asyncio.Semaphore = field(default=None)  # type: ignore[assignment]
    user_rows: UserRowWriter = field(default=None)  # type: ignore[assignment]
    conversations: BaseStorage = field(default=None)  # type: ignore[assignment]
    group_languages: GroupLanguages = field(default=None)  # type: ignore[assignment]
    referral_codes: ReferralCodes = field(default=None)  # type: ignore[assignment]
    taps: TapMemory = field(default=None)  # type: ignore[assignment]
    events: EventCounter = field(default=None)  # type: ignore[assignment]
    recommender: Recommender = field(default=None)  # type: ignore[assignment]
    groupbuy_cards: CardRefresher = field(default=None)  # type: ignore[assignment]
    flash_cards: FlashCardRefresher = field(default=None)  # type: ignore[assignment]
    payment_inbox: PaymentInbox | None = None
    # Which update ids were handled: in Redis when redis.url is set, so several processes handle each once.
    updates: UpdateLedger = field(default=None)  # type: ignore[assignment]
    metrics: Metrics = field(default=None)  # type: ignore[assignment]
    _sealed: bool = field(default=False, repr=False)

    def seal(self) -> None:
        self._sealed = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_sealed", False):
            raise AttributeError(f"AppContext is sealed: {name} is wired by the composition root only")
        super().__setattr__(name, value)
