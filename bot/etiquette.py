"""The Telegram manners every bot process keeps, built once by the composition root: no edit that changes
nothing, every tap answered exactly once, replies paced to Telegram's limits, repeated texts answered once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import Bot, Dispatcher

from bot.callback_answers import AnsweredTaps, AnswerOnce, EveryTapAnswered
from bot.chat_pacing import AnswerRepeatsOnce, PaceSends, SendSchedule
from bot.config import Settings
from bot.edit_guard import EditGuard, SeenByTapMiddleware, ShownMessages
from bot.shared_pacing import RedisSendSchedule


@dataclass
class Etiquette:
    shown: ShownMessages
    answered: AnsweredTaps
    sends: SendSchedule
    repeats: AnswerRepeatsOnce
    default_language: str

    @classmethod
    def build(cls, settings: Settings) -> Etiquette:
        pacing = settings.telegram.pacing
        return cls(
            shown=ShownMessages(),
            answered=AnsweredTaps(),
            # Several processes share one budget through Redis: Telegram's limits are per bot, not per process.
            sends=RedisSendSchedule(pacing, settings.redis.url) if settings.redis.url else SendSchedule(pacing),
            repeats=AnswerRepeatsOnce(pacing.repeat_window_seconds),
            default_language=settings.shop.default_language,
        )

    def use_clock(self, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]] | None = None) -> None:
        """Count pacing windows by `clock` (monotonic seconds) instead of the machine's, and wait with `sleep`
        (a simulated world whose time moves only when told lets the wait pass instead of sleeping)."""
        self.sends.clock = clock
        self.repeats.clock = clock
        if sleep is not None:
            self.sends.sleep = sleep

    def install(self, bot: Bot) -> None:
        """Request middlewares on the bot's session (the first registered is the outermost)."""
        bot.session.middleware(AnswerOnce(self.answered))
        bot.session.middleware(EditGuard(self.shown))
        bot.session.middleware(PaceSends(self.sends))

    def attach(self, dp: Dispatcher) -> None:
        """Update middlewares; call after the user-context middleware so the tapper's language is known."""
        dp.update.outer_middleware(EveryTapAnswered(self.answered, self.default_language))
        dp.callback_query.outer_middleware(SeenByTapMiddleware(self.shown))
        dp.message.outer_middleware(self.repeats)
