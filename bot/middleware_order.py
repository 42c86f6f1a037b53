"""Putting an update middleware in front of aiogram's own: `outer_middleware(...)` only appends, after the
dispatcher's error middleware, and some middlewares must see an update before an error handler answers it."""

from __future__ import annotations

from typing import Any

from aiogram.dispatcher.middlewares.manager import MiddlewareManager


def register_outermost(manager: MiddlewareManager, middleware: Any) -> None:
    """`middleware` runs first of all those registered on `manager` so far."""
    others = [manager[i] for i in range(len(manager))]
    for each in others:
        manager.unregister(each)
    manager.register(middleware)
    for each in others:
        manager.register(each)
