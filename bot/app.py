"""The composition root: the one place that builds the Bot, the Dispatcher and the services, used by
production, the sandbox, tests and benchmarks alike."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder

from bot import flash_lane, payment_inbox, response_types, retry, support_desk, update_guard
from bot.admission import MemoryAdmissionGate, db_slots
from bot.chat_language import GroupLanguages
from bot.config import Settings
from bot.context import AppContext
from bot.etiquette import Etiquette
from bot.fast_filters import inline_magic_filters
from bot.flash_cards import FlashCardRefresher
from bot.fsm_storage import DatabaseStorage, RedisCachedStorage
from bot.groupbuy_cards import CardRefresher
from bot.jobs import digest as digest_jobs
from bot.jobs import flashsale as flash_jobs
from bot.jobs import groupbuy as groupbuy_jobs
from bot.jobs import growth as growth_jobs
from bot.jobs import ops as ops_jobs
from bot.jobs import orders as order_jobs
from bot.jobs import social as social_jobs
from bot.jobs import support as support_jobs
from bot.metrics import Metrics
from bot.middlewares import UserContextMiddleware
from bot.nlu_service import Understanding
from bot.outbox import OutboxSender
from bot.redis_admission import RedisAdmissionGate
from bot.referral_codes import ReferralCodes
from bot.scheduler import Scheduler
from bot.shop_rules import shop_rules
from bot.tap_guard import TapMemory
from bot.update_guard import build_ledger
from bot.user_rows import UserRowWriter
from bot.views import digest as digest_views
from bot.views import flashsale as flash_views
from bot.views import groupbuy as groupbuy_views
from bot.views import growth as growth_views
from bot.views import ops as ops_views
from bot.views import orders as order_views
from bot.views import reviews as review_views
from bot.views import social as social_views
from bot.views import support as support_views
from bot.wiring import Wiring
from dialogues import support_chat
from handlers import (
    admin,
    admin_analytics,
    admin_flash,
    admin_ops,
    assistant,
    broadcasts,
    cart,
    catalog,
    chat_member,
    checkout,
    dialogue_cancel,
    digest,
    errors,
    flashsale,
    groupbuy,
    inline,
    leader,
    loyalty,
    orders,
    payments,
    referral,
    reviews,
    search,
    social,
    start,
    stock_alerts,
    stock_card,
    support,
)
from store import broadcasts as broadcasts_store
from store import delivery as delivery_store
from store import flashsale as flash_store
from store import groupbuy as groupbuy_store
from store import orders as orders_store
from store import stock_alerts as stock_alerts_store
from store import support as support_store
from store.analytics.events import EventCounter
from store.db import Database
from store.recommend.service import Recommender
from store.search import SearchEngine
from store.social import digest as digest_store
from store.social import reviews as reviews_store
from store.social import wishlist as wishlist_store

log = logging.getLogger(__name__)


def feature_routers() -> list[Router]:
    """Feature routers in the order they get a chance at an update: commands and buttons first, then
    dialogues, and free text last (it goes to understanding). Each call builds fresh Routers."""
    return [
        # Flash-sale taps come in storms: let them meet their handler before every other router (the errors
        # router holds error handlers only, and an error event still reaches it next).
        flashsale.setup(),
        errors.setup(),
        chat_member.setup(),
        start.setup(),
        catalog.setup(),
        social.setup(),
        digest.setup(),
        reviews.setup(),
        search.setup(),
        cart.setup(),
        checkout.setup(),
        payments.setup(),
        orders.setup(),
        admin.setup(),
        admin_flash.setup(),
        stock_alerts.setup(),
        stock_card.setup(),
        admin_ops.setup(),
        broadcasts.setup(),
        admin_analytics.setup(),
        groupbuy.setup(),
        leader.setup(),
        loyalty.setup(),
        referral.setup(),
        support.setup(),
        support_chat.setup(),
        inline.setup(),
        dialogue_cancel.setup(),
        assistant.setup(),
    ]


def standard_wiring() -> Wiring:
    """Every scheduled-event kind, outbox template, deep-link prefix and /admin section, and who owns it."""
    return Wiring(
        jobs={
            "order_expiry": order_jobs.expire_order,
            flash_store.START_JOB: flash_jobs.start,
            flash_store.PUBLIC_JOB: flash_jobs.open_to_everyone,
            flash_store.END_JOB: flash_jobs.end,
            groupbuy_store.DEADLINE_JOB: groupbuy_jobs.deadline,
            groupbuy_store.TICK_JOB: groupbuy_jobs.countdown,
            support_store.TAKE_SLA: support_jobs.take_sla,
            support_store.REPLY_SLA: support_jobs.reply_sla,
            growth_jobs.EXPIRY_KIND: growth_jobs.expire_points,
            growth_jobs.REMINDER_KIND: growth_jobs.remind_checkins,
            social_jobs.SCAN_KIND: social_jobs.scan_wishlists,
            digest_jobs.KIND: digest_jobs.send_weekly_digest,
            broadcasts_store.PROGRESS_JOB: ops_jobs.broadcast_progress,
        },
        startup=(
            growth_jobs.ensure_daily_events,
            ops_jobs.arm_stock_checks,
            social_jobs.ensure_wishlist_scan,
            digest_jobs.ensure_weekly_digest,
        ),
        renderers={
            flash_store.CARD_TEMPLATE: flash_views.render_card,
            flash_store.WON_TEMPLATE: flash_views.render_won,
            flash_store.SUMMARY_TEMPLATE: flash_views.render_summary,
            flash_store.MISSED_TEMPLATE: flash_views.render_missed,
            flash_store.EXPIRED_TEMPLATE: flash_views.render_expired,
            "groupbuy.success": groupbuy_views.render_success,
            "groupbuy.closed_notice": groupbuy_views.render_closed,
            "groupbuy.changed": groupbuy_views.render_changed,
            "groupbuy.leader_result": groupbuy_views.render_leader_result,
            stock_alerts_store.LOW_STOCK_TEMPLATE: ops_views.render_low_stock,
            stock_alerts_store.BACK_IN_STOCK_TEMPLATE: ops_views.render_back_in_stock,
            broadcasts_store.TEMPLATE: ops_views.render_broadcast,
            reviews_store.ASK_TEMPLATE: review_views.render_ask,
            wishlist_store.NOTICE_TEMPLATE: social_views.render_wish_notice,
            digest_store.TEMPLATE: digest_views.render_digest,
            "support.topic": support_views.render_topic_message,
            "growth.tier_changed": growth_views.render_tier_changed,
            orders_store.STATUS_TEMPLATE: order_views.render_status_changed,
            delivery_store.GOODS_TEMPLATE: order_views.render_goods,
        },
        deeplinks={
            "p": catalog.open_product_link,
            "cart": cart.open_cart_link,
            checkout.DEEPLINK: checkout.checkout_link,
            "r": referral.referral_link,
            flash_views.PAY_LINK: flashsale.pay_link,
            flash_views.SUBSCRIPTION_LINK: flashsale.subscription_link,
            groupbuy_views.WIZARD_LINK_PREFIX: groupbuy.resume_wizard,
            groupbuy_views.DEEPLINK_PREFIX: groupbuy.open_group_buy,
            order_views.PERSONAL_PREFIX: orders.personal_link,
            social_views.WISHLIST_LINK[0]: social.wishlist_link,
            growth_views.CHECKIN_LINK[0]: loyalty.checkin_link,
            growth_views.INVITE_LINK[0]: referral.invite_link,
        },
        after_start=(groupbuy.deliver_unsent_panels,),
        admin_sections=(
            *admin.ADMIN_SECTIONS,
            flashsale.ADMIN_SECTION,
            admin_flash.ADMIN_SECTION,
            admin_ops.ADMIN_SECTION,
            broadcasts.ADMIN_SECTION,
            admin_analytics.ADMIN_SECTION,
            reviews.ADMIN_SECTION,
            leader.ADMIN_SECTION,
            loyalty.ADMIN_SECTION,
            support.ADMIN_SECTION,
        ),
    )


def build_bot(settings: Settings, token: str, etiquette: Etiquette | None = None) -> Bot:
    session = None
    if settings.telegram.api_base:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram.api_base.rstrip("/")))
    bot = Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    install_request_middlewares(bot, etiquette)
    return bot


def install_request_middlewares(bot: Bot, etiquette: Etiquette | None) -> None:
    """What every Bot API call of the process goes through, on a bot built here or handed in (tests, benchmarks)."""
    response_types.install(bot)
    if etiquette is not None:
        etiquette.install(bot)
    retry.install(bot)


def build_storage(settings: Settings, db: Database) -> BaseStorage:
    key_builder = DefaultKeyBuilder(with_destiny=True)
    if settings.redis.url:
        # Redis shares state between processes; the database keeps it safe across a Redis restart.
        return RedisCachedStorage(db, settings.redis.url, key_builder=key_builder)
    return DatabaseStorage(db, key_builder=key_builder)


def build_dispatcher(ctx: AppContext) -> tuple[Dispatcher, payment_inbox.PaymentInbox]:
    dp = payment_inbox.InboxDispatcher(storage=ctx.conversations, ctx=ctx, db=ctx.db, settings=ctx.settings)
    flash_lane.install(dp)  # no conversation-state read for a flash tap (first: it replaces the FSM middleware)
    # Payments are spooled before any middleware may fail (DESIGN.md).
    inbox = payment_inbox.install(
        ctx,
        dp,
        {
            payment_inbox.SUCCESSFUL: payments.apply_successful_payment,
            payment_inbox.REFUNDED: payments.apply_refunded_payment,
        },
    )
    # Outermost first: the guard wraps aiogram's error middleware (an error answered to the user finishes the
    # update); the metrics wrap the guard (a dropped repeat is still counted arriving).
    update_guard.install(dp, ctx.updates)
    if ctx.metrics is not None:
        ctx.metrics.install(ctx.bot, dp)
    dp.update.outer_middleware(UserContextMiddleware(ctx))
    support_chat.install(dp)  # a command or another button ends the rating-comment step before routing
    support_desk.install(dp)  # the support group answers the desk's commands only, not the shop's
    if ctx.etiquette is not None:
        ctx.etiquette.attach(dp)
    dp.include_routers(*feature_routers())
    inline_magic_filters(dp)
    return dp, inbox


@dataclass
class App:
    ctx: AppContext
    dp: Dispatcher
    scheduler: Scheduler | None = None
    outbox: OutboxSender | None = None
    warm_up_tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def bot(self) -> Bot:
        return self.ctx.bot

    async def start_background(self, *, scheduler: bool = True, outbox: bool = True) -> None:
        """Start the scheduler and the outbox sender (not needed by pure dispatch benchmarks)."""
        inbox = self.ctx.payment_inbox
        if inbox is not None:  # first: it knows which reservations must not expire yet
            await inbox.start()
        if scheduler:
            self.scheduler = Scheduler(self.ctx)
            await self.scheduler.start()
        if outbox:
            self.outbox = OutboxSender(self.ctx)
            await self.outbox.start()

    async def close(self) -> None:
        inbox = self.ctx.payment_inbox
        if inbox is not None:
            await inbox.stop()
        if self.outbox is not None:
            await self.outbox.stop()
        if self.scheduler is not None:
            await self.scheduler.stop()
        await flash_lane.drain(self.ctx)
        await self.ctx.flash_cards.close()
        # Before what its redraws use goes: the database, the chats' state (panels) and the Bot session.
        await self.ctx.groupbuy_cards.close()
        await self.ctx.admission.close()
        await self.dp.storage.close()
        if self.ctx.updates is not None:
            await self.ctx.updates.close()
        if self.ctx.etiquette is not None:
            await self.ctx.etiquette.sends.close()
        await self.ctx.bot.session.close()
        await self.ctx.understanding.close()
        await self.ctx.search.close()  # waits for a background refresh still reading the database
        await self.ctx.recommender.wait_idle()
        await self.ctx.db.dispose()
        if inbox is not None:
            inbox.close()


def build_context(
    settings: Settings,
    db: Database,
    bot: Bot,
    *,
    bot_username: str | None = None,
    etiquette: Etiquette | None = None,
    wiring: Wiring | None = None,
) -> AppContext:
    """Every dependency a handler, job or view may use, built once (tests use this for a context without a
    Dispatcher; the two services that need the context itself are added by create_app before sealing)."""
    slots = db_slots(db)  # one budget for every storm-path database operation of the process
    payment_window = timedelta(minutes=settings.flashsale.payment_window_minutes)
    admission: flash_store.AdmissionGate
    if settings.redis.url:
        # Several processes share the sale's counter: sold-out taps end in Redis, whichever process gets them.
        admission = RedisAdmissionGate(
            db, payment_window=payment_window, slots=slots, url=settings.redis.url, namespace=str(bot.id)
        )
    else:
        admission = MemoryAdmissionGate(db, payment_window=payment_window, slots=slots)
    return AppContext(
        settings=settings,
        db=db,
        bot=bot,
        bot_username=bot_username if bot_username is not None else settings.telegram.bot_username or "",
        wiring=wiring or standard_wiring(),
        etiquette=etiquette,
        search=SearchEngine(db),
        understanding=Understanding(settings),
        admission=admission,
        db_slots=slots,
        user_rows=UserRowWriter(db, slots),
        conversations=build_storage(settings, db),
        group_languages=GroupLanguages(),
        referral_codes=ReferralCodes(db),
        taps=TapMemory(),
        events=EventCounter(settings.shop.timezone),
        recommender=Recommender(db),
        updates=build_ledger(settings.redis.url, str(bot.id), settings.redis.update_lease_seconds),
        metrics=Metrics(),
    )


async def create_app(
    settings: Settings,
    token: str,
    *,
    db: Database | None = None,
    migrate: bool = True,
    bot: Bot | None = None,
    resolve_username: bool = False,
) -> App:
    """Build everything; with `migrate`, bring the database schema to the newest revision first. `bot` replaces
    the Telegram client (tests and benchmarks pass one with a stub session; it gets the same manners), and
    `resolve_username` asks Telegram for the bot's username when the config does not name it."""
    from store import migrations

    rules = shop_rules(settings)
    database = db or Database(settings.database.url, echo=settings.database.echo, rules=rules)
    database.use_rules(rules)
    if migrate:
        await migrations.upgrade(database)
    etiquette = Etiquette.build(settings)
    if bot is None:
        bot = build_bot(settings, token, etiquette)
    else:
        install_request_middlewares(bot, etiquette)
    username = settings.telegram.bot_username or ""
    if not username and resolve_username:
        username = (await bot.get_me()).username or "groupcart_bot"
    ctx = build_context(settings, database, bot, bot_username=username, etiquette=etiquette)
    dp, inbox = build_dispatcher(ctx)
    ctx.payment_inbox = inbox
    ctx.groupbuy_cards = CardRefresher(ctx)
    ctx.flash_cards = FlashCardRefresher(database, settings.flashsale.count_refresh_seconds)
    database.on_after_commit(ctx.flash_cards.after_commit)
    ctx.seal()
    return App(ctx=ctx, dp=dp)
