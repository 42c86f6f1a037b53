"""Running the bot: long polling or webhook, with graceful shutdown on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

from aiogram.types import BotCommand, BotCommandScopeDefault
from aiohttp import web

from bot import payment_inbox
from bot.app import App
from bot.i18n import t
from bot.in_flight import InFlight
from bot.update_guard import DELIVERY_KEY, Delivery

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# How long a stopping process lets the updates it already took finish (aiogram does not wait for them).
FINISH_IN_FLIGHT_SECONDS = 30.0

PUBLIC_COMMANDS = (
    "start",
    "catalog",
    "search",
    "cart",
    "checkout",
    "orders",
    "wishlist",
    "foryou",
    "checkin",
    "points",
    "invite",
    "support",
    "subscribe",
    "unsubscribe",
    "language",
    "mydata",
    "forgetme",
    "help",
)

# Commands the handlers answer that /help and the menu leave out on purpose; every other registered command is
# in PUBLIC_COMMANDS, the menu and /help (tests/e2e/test_commands_listed.py compares them all).
UNLISTED_COMMANDS = frozenset(
    {
        "menu",  # the same as /help
        "cancel",  # only inside a dialogue, which names it
        # staff: admins, leaders, support agents (each sees them in their own screens and answers)
        "admin",
        "stock",
        "order",
        "coupons",
        "coupon_new",
        "coupon_off",
        "flash_new",
        "flash_create",
        "flash_edit",
        "flash_cancel",
        "flash_list",
        "groupbuy",
        "leader",
        "leader_grant",
        "leader_revoke",
        "canned",
        "canned_add",
        "canned_del",
        "close",
        "support_stats",
    }
)


async def register_commands(app: App) -> None:
    """The command menu in each language (Telegram picks by the user's language_code)."""
    for lang, code in (("en", None), ("zh", "zh")):
        commands = [BotCommand(command=name, description=t(lang, f"commands.{name}")) for name in PUBLIC_COMMANDS]
        await app.bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=code)


async def prepare(app: App, *, commands: bool = True) -> None:
    """`commands=False`: the command menu is already set (a warm spare sets it while it waits)."""
    from bot import warmup

    if commands:
        await register_commands(app)
    # The search index (~2 s at 20,000 products, ~10 s at 100,000 on a busy machine) and the classifier are
    # built in the background: polling starts now, so a restart answers within Telegram's callback window.
    warmup.start(app)
    await app.start_background()


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


async def run_polling(app: App, stop: asyncio.Event | None = None, *, handle_as_tasks: bool = True) -> None:
    """Poll until `stop` is set (or a signal arrives); in-flight updates finish before the app closes."""
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    await app.bot.delete_webhook(drop_pending_updates=False)
    polling = asyncio.create_task(
        app.dp.start_polling(
            app.bot,
            handle_signals=False,
            close_bot_session=False,
            handle_as_tasks=handle_as_tasks,
            polling_timeout=app.ctx.settings.telegram.polling_timeout,
            allowed_updates=app.dp.resolve_used_update_types(),
        )
    )
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({polling, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if stopper in done:
        await app.dp.stop_polling()
    else:
        stopper.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await polling
    in_flight = getattr(app.dp, "in_flight", None)
    if isinstance(in_flight, InFlight) and not await in_flight.wait_idle(FINISH_IN_FLIGHT_SECONDS):
        log.warning("stopping with %d updates still being handled", in_flight.count)


def webhook_handler(app: App, secret: str) -> web.Application:
    """The webhook endpoint. Telegram takes a 2xx answer as "delivered" and never sends that update again, so
    an update is answered only once it is safe: a payment once it is in the payment inbox's spool (recorded in
    the background), anything else once it has been handled. A payment that cannot be spooled gets a 500, and
    Telegram delivers it again."""
    from aiogram.types import Update
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler

    inbox = payment_inbox.of(app.ctx)

    class Handler(SimpleRequestHandler):
        async def handle(self, request: web.Request) -> web.Response:
            if not self.verify_secret(request.headers.get(SECRET_HEADER, ""), self.bot):
                return await super().handle(request)
            raw = await request.json(loads=self.bot.session.json_loads)
            update = Update.model_validate(raw, context={"bot": self.bot})
            if inbox is None or payment_inbox.payment_kind(update) is None:
                delivery = Delivery()
                data: dict[str, Any] = {**self.data, DELIVERY_KEY: delivery}
                result: Any = await self.dispatcher.feed_webhook_update(self.bot, update, **data)
                if delivery.busy:
                    # Another worker holds this update and may yet die before answering it: a 2xx would make
                    # Telegram forget it, an error makes it deliver again (handled once the claim lapses).
                    return web.Response(status=503, text="update being handled by another worker")
                return web.Response(body=self._build_response_writer(bot=self.bot, result=result))
            try:
                inbox.accept(update)
            except Exception:
                log.exception("payment update %s not spooled: Telegram will deliver it again", update.update_id)
                return web.Response(status=500, text="payment not recorded")
            return web.json_response({})

    web_app = web.Application()
    if app.ctx.metrics is not None:
        web_app.router.add_get("/metrics", app.ctx.metrics.endpoint(app.ctx.db))
    Handler(dispatcher=app.dp, bot=app.bot, secret_token=secret, handle_in_background=False).register(
        web_app, path=app.ctx.settings.telegram.webhook.path
    )
    return web_app


async def run_webhook(
    app: App,
    secret: str,
    stop: asyncio.Event | None = None,
    *,
    reuse_port: bool = False,
    set_webhook: bool = True,
    own_port: int | None = None,
) -> None:
    """Serve updates over HTTPS behind a proxy; requests without the secret header are refused (401).
    `reuse_port`: one of several worker processes listening on the same port (bot/workers.py); such a worker
    also listens on a port of its own, `own_port`: its /metrics (the shared port would answer for a random
    worker), and the webhook too, so a proxy with one upstream per worker (or a test) can address each."""
    settings = app.ctx.settings.telegram.webhook
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    web_app = webhook_handler(app, secret)
    # On stop, requests being handled get as long as polling's in-flight updates, not aiohttp's 60 s: a
    # stop (deploy, SIGTERM) must end in bounded time so the application closes its database itself.
    runner = web.AppRunner(web_app, shutdown_timeout=FINISH_IN_FLIGHT_SECONDS)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, reuse_port=reuse_port or None)
    await site.start()
    if own_port is not None:
        await web.TCPSite(runner, settings.host, own_port).start()
    if settings.public_url and set_webhook:
        await app.bot.set_webhook(
            settings.public_url.rstrip("/") + settings.path,
            secret_token=secret,
            allowed_updates=app.dp.resolve_used_update_types(),
        )
    log.info("webhook listening on %s:%s%s", settings.host, settings.port, settings.path)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
