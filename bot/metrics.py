"""Prometheus metrics of one bot process (`/metrics`): updates handled by kind, handler latency, errors,
repeated deliveries dropped, Bot API calls and 429s, and the outbox backlog and its age.

Each process keeps its own registry (not prometheus-client's global one): several apps in one interpreter
(tests) must not share counters, and behind `--workers N` each worker is a target of its own."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.middleware_order import register_outermost
from store import outbox_rows
from store.db import Database

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter("groupcart_updates", "Updates handled, by kind", ["kind"], registry=r)
        self.latency = Histogram(
            "groupcart_update_seconds", "Time to handle an update", ["kind"], buckets=LATENCY_BUCKETS, registry=r
        )
        self.errors = Counter("groupcart_update_errors", "Updates whose handling raised", ["kind"], registry=r)
        self.api_calls = Counter("groupcart_bot_api_calls", "Bot API calls, by method", ["method"], registry=r)
        self.api_429 = Counter("groupcart_bot_api_429", "Bot API calls answered 429", ["method"], registry=r)
        self.outbox_backlog = Gauge("groupcart_outbox_backlog", "Outbox rows pending or sending", registry=r)
        self.outbox_age = Gauge(
            "groupcart_outbox_oldest_seconds", "Age of the oldest due outbox row (0: none)", registry=r
        )
        self._children: dict[tuple[int, str], Any] = {}

    def child(self, metric: Counter | Histogram, label: str) -> Any:
        """`metric.labels(label)`, kept: prometheus_client takes a lock and checks the label on every call, three
        times per update on the storm path; the few kinds and methods there are stay in this dict."""
        key = (id(metric), label)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(label)
        return found

    def install(self, bot: Bot, dp: Dispatcher) -> None:
        bot.session.middleware(_CountCalls(self))
        # Outermost (install after the update guard): a repeated delivery the guard drops is still seen arriving.
        register_outermost(dp.update.outer_middleware, _TimeUpdates(self))
        dp.errors.outer_middleware(_CountErrors(self))

    async def render(self, db: Database) -> bytes:
        backlog, oldest = await outbox_rows.backlog(db)
        self.outbox_backlog.set(backlog)
        self.outbox_age.set(oldest)
        return generate_latest(self.registry)

    def endpoint(self, db: Database) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def metrics(request: web.Request) -> web.Response:
            body = await self.render(db)
            return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

        return metrics


def _kind(event: TelegramObject) -> str:
    if isinstance(event, Update):
        # The two kinds nearly every update is, without aiogram's walk over every field of Update (3% of a tap)
        if event.callback_query is not None:
            return "callback_query"
        if event.message is not None:
            return "message"
        try:
            return event.event_type
        except Exception:  # a kind this aiogram does not know
            return "unknown"
    return type(event).__name__


class _TimeUpdates(BaseMiddleware):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        kind = _kind(event)
        started = time.perf_counter()
        try:
            return await handler(event, data)
        except Exception:
            self.metrics.child(self.metrics.errors, kind).inc()
            raise
        finally:
            self.metrics.child(self.metrics.updates, kind).inc()
            self.metrics.child(self.metrics.latency, kind).observe(time.perf_counter() - started)


class _CountErrors(BaseMiddleware):
    """Errors the error handler turned into a message still count as errors."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        update = getattr(event, "update", None)
        self.metrics.errors.labels(_kind(update) if update is not None else "unknown").inc()
        return await handler(event, data)


class _CountCalls(BaseRequestMiddleware):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = method.__api_method__
        self.metrics.child(self.metrics.api_calls, name).inc()
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter:
            self.metrics.child(self.metrics.api_429, name).inc()
            raise
