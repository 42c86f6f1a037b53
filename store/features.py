"""The shop's feature modules. Importing them registers their order hooks and discount providers, so any
entry point that changes orders (the bot, the CLI, a script) must call `load()` first — otherwise an order
could expire without returning group-buy or flash-sale stock, or be paid without earning points."""

from __future__ import annotations

import importlib

FEATURE_MODULES = (
    "store.growth",
    "store.groupbuy",
    "store.flashsale",
    "store.support",
    "store.stock_alerts",
    "store.audit",
    "store.social.reviews",
)


def load() -> None:
    for name in FEATURE_MODULES:
        importlib.import_module(name)
