"""The composition root: the one place that builds the Bot, the Dispatcher and the services, used by
production, the sandbox, tests and benchmarks alike."""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder

from bot import flash_lane, payment_inbox, retry
from bot.config import Settings
from bot.context import AppContext
from bot.etiquette import Etiquette
from bot.fast_filters import inline_magic_filters
from bot.fsm_storage import DatabaseStorage, RedisCachedStorage
from bot.middlewares import UserContextMiddleware
from bot.outbox import OutboxSender
from bot.scheduler import Scheduler
from bot.update_guard import DuplicateUpdateMiddleware
from store.db import Database

log = logging.getLogger(__name__)

# Feature routers in the order they get a chance at an update: commands and buttons first, then
# dialogues, and free text last (it goes to understanding).
ROUTER_MODULES: tuple[str, ...] = (
    "handlers.errors",
    # Flash-sale taps come in storms: let them meet their handler before every other filter.
    "handlers.flashsale",
    "handlers.chat_member",
    "handlers.start",
    "handlers.catalog",
    "handlers.search",
    "handlers.cart",
    "handlers.checkout",
    "handlers.payments",
    "handlers.orders",
    "handlers.admin",
    "handlers.groupbuy",
    "handlers.loyalty",
    "handlers.referral",
    "handlers.support",
    "handlers.inline",
    "handlers.assistant",
)


def feature_routers() -> list[Router]:
    routers = []
    for name in ROUTER_MODULES:
        router: Router = importlib.import_module(name).router
        # Routers are module-level singletons (aiogram's idiom), but tests and benchmarks build several
        # dispatchers in one process: release the router from the previous, discarded dispatcher.
        router._parent_router = None
        routers.append(router)
    return routers


def configure_domain(settings: Settings) -> None:
    """Hand config values to the shop core as policy objects (store/ never reads config itself)."""
    from store import features, growth

    features.load()
    loyalty = settings.loyalty
    growth.configure(
        growth.GrowthPolicy(
            timezone=settings.shop.timezone,
            checkin_points=loyalty.checkin_points,
            streak_bonuses={bonus.day: bonus.points for bonus in loyalty.streak_bonuses},
            referral_points=loyalty.referral_points,
            welcome_coupon_percent=loyalty.welcome_coupon_percent,
            points_per_currency_unit=loyalty.points_per_currency_unit,
            point_value_minor=loyalty.point_value_minor,
            max_points_share_percent=loyalty.max_points_share_percent,
            points_expiry_days=loyalty.points_expiry_days,
            tiers=tuple(
                growth.TierRule(
                    t.key,
                    t.name_en,
                    t.name_zh,
                    t.min_spend,
                    t.discount_percent,
                    t.free_delivery_over,
                    t.early_access_minutes,
                )
                for t in loyalty.tiers
            ),
        )
    )


def build_bot(settings: Settings, token: str, etiquette: Etiquette | None = None) -> Bot:
    session = None
    if settings.telegram.api_base:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram.api_base.rstrip("/")))
    bot = Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    if etiquette is not None:
        etiquette.install(bot)
    retry.install(bot)
    return bot


def build_storage(settings: Settings, db: Database) -> BaseStorage:
    key_builder = DefaultKeyBuilder(with_destiny=True)
    if settings.redis.url:
        # Redis shares state between processes; the database keeps it safe across a Redis restart.
        return RedisCachedStorage(db, settings.redis.url, key_builder=key_builder)
    return DatabaseStorage(db, key_builder=key_builder)


def build_dispatcher(ctx: AppContext) -> Dispatcher:
    storage = build_storage(ctx.settings, ctx.db)
    dp = payment_inbox.InboxDispatcher(storage=storage, ctx=ctx, db=ctx.db, settings=ctx.settings)
    flash_lane.install(dp)  # no conversation-state read for a flash tap (first: it replaces the FSM middleware)
    payment_inbox.install(ctx, dp)  # payments are spooled before any middleware may fail (DESIGN.md)
    dp.update.outer_middleware(DuplicateUpdateMiddleware())
    dp.update.outer_middleware(UserContextMiddleware(ctx))
    if ctx.etiquette is not None:
        ctx.etiquette.attach(dp)
    dp.include_routers(*feature_routers())
    inline_magic_filters(dp)
    return dp


@dataclass
class App:
    ctx: AppContext
    dp: Dispatcher

    @property
    def bot(self) -> Bot:
        return self.ctx.bot

    def use_bot(self, bot: Bot) -> None:
        """Talk through another Bot (tests and benchmarks use one with a stub session), with the same manners."""
        if self.ctx.etiquette is not None:
            self.ctx.etiquette.install(bot)
        retry.install(bot)
        self.ctx.bot = bot

    async def start_background(self, *, scheduler: bool = True, outbox: bool = True) -> None:
        """Start the scheduler and the outbox sender (not needed by pure dispatch benchmarks)."""
        inbox = payment_inbox.of(self.ctx)
        if inbox is not None:  # first: it knows which reservations must not expire yet
            await inbox.start()
        if scheduler:
            self.ctx.scheduler = Scheduler(self.ctx)
            await self.ctx.scheduler.start()
        if outbox:
            self.ctx.outbox = OutboxSender(self.ctx)
            await self.ctx.outbox.start()

    async def close(self) -> None:
        inbox = payment_inbox.of(self.ctx)
        if inbox is not None:
            await inbox.stop()
        if self.ctx.outbox is not None:
            await self.ctx.outbox.stop()
        if self.ctx.scheduler is not None:
            await self.ctx.scheduler.stop()
        await flash_lane.drain(self.ctx)
        await self.dp.storage.close()
        await self.ctx.bot.session.close()
        from bot import nlu_service

        await nlu_service.close(self.ctx)
        index = self.ctx.extras.get("search_index")
        if index is not None:
            await index.close()  # waits for a background refresh still reading the database
        await self.ctx.db.dispose()
        if inbox is not None:
            inbox.close()


async def create_app(settings: Settings, token: str, *, db: Database | None = None, migrate: bool = True) -> App:
    """Build everything; with `migrate`, bring the database schema to the newest revision first."""
    from store import migrations

    configure_domain(settings)
    database = db or Database(settings.database.url, echo=settings.database.echo)
    if migrate:
        await migrations.upgrade(database)
    etiquette = Etiquette.build(settings)
    bot = build_bot(settings, token, etiquette)
    ctx = AppContext(
        settings=settings,
        db=database,
        bot=bot,
        bot_username=settings.telegram.bot_username or "",
        etiquette=etiquette,
    )
    dp = build_dispatcher(ctx)
    return App(ctx=ctx, dp=dp)


async def resolve_bot_username(app: App) -> None:
    if not app.ctx.bot_username:
        me = await app.bot.get_me()
        app.ctx.bot_username = me.username or "groupcart_bot"
