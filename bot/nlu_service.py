"""The intent classifier as an application singleton, and FAQ answers filled with the shop's values.

The classifier is built once per process and kept in `ctx.extras`: lazily on the first free-text message
(training takes about a second and a half on a cold cache; a cached model loads in milliseconds), in a
thread so the event loop keeps serving other updates meanwhile. `start_warm_up()` builds it ahead of time in
the background (polling does not wait for it: a restarted bot must answer taps at once); a question that
arrives meanwhile waits for that same build (a cached model loads in milliseconds), never for an error.
"""

from __future__ import annotations

import asyncio
import logging
from functools import cache, partial
from pathlib import Path

from bot.config import Settings
from bot.context import AppContext
from bot.i18n import t
from dialogues.nlu import IntentClassifier, IntentResult, build_classifier, load_responses, render
from dialogues.nlu.rasa import RasaClassifier
from store.money import Money

log = logging.getLogger(__name__)

EXTRAS_KEY = "nlu.classifier"
_LOCK_KEY = "nlu.lock"
_WARM_KEY = "nlu.warm_up"
RESPONSE_LANGUAGES = ("en", "zh")


async def classifier(ctx: AppContext) -> IntentClassifier:
    found: IntentClassifier | None = ctx.extras.get(EXTRAS_KEY)
    if found is not None:
        return found
    lock: asyncio.Lock = ctx.extras.setdefault(_LOCK_KEY, asyncio.Lock())
    async with lock:
        found = ctx.extras.get(EXTRAS_KEY)
        if found is None:
            nlu = ctx.settings.nlu
            found = await asyncio.to_thread(
                partial(build_classifier, rasa_url_zh=nlu.rasa_url_zh, rasa_timeout=nlu.rasa_timeout),
                nlu.backend,
                nlu.rasa_url,
                Path(nlu.cache_dir),
            )
            ctx.extras[EXTRAS_KEY] = found
            log.info("NLU classifier ready (%s backend)", nlu.backend)
    assert found is not None
    return found


async def warm_up(ctx: AppContext) -> None:
    """Build the classifier now rather than on the first question."""
    await classifier(ctx)


def start_warm_up(ctx: AppContext) -> asyncio.Task[None]:
    """Build the classifier in the background (`close` waits for it)."""
    task: asyncio.Task[None] | None = ctx.extras.get(_WARM_KEY)
    if task is None:
        task = asyncio.create_task(_warm_quietly(ctx), name="nlu-warm-up")
        ctx.extras[_WARM_KEY] = task
    return task


async def _warm_quietly(ctx: AppContext) -> None:
    try:
        await classifier(ctx)
    except Exception:  # the first question tries again
        log.exception("NLU warm-up failed")


async def close(ctx: AppContext) -> None:
    warming: asyncio.Task[None] | None = ctx.extras.pop(_WARM_KEY, None)
    if warming is not None:
        await warming  # the model is being trained in a thread, which cannot be interrupted
    found = ctx.extras.pop(EXTRAS_KEY, None)
    if isinstance(found, RasaClassifier):
        await found.aclose()


async def understand(ctx: AppContext, text: str, lang: str) -> IntentResult:
    return await (await classifier(ctx)).parse(text, lang)


def confident(ctx: AppContext, result: IntentResult) -> bool:
    return result.intent in _known_intents() and result.confidence >= ctx.settings.nlu.threshold


@cache
def _responses(lang: str) -> dict[str, str]:
    return load_responses(lang if lang in RESPONSE_LANGUAGES else "en")


@cache
def _known_intents() -> frozenset[str]:
    from dialogues.nlu import INTENTS

    return frozenset(INTENTS)


def has_response(intent: str) -> bool:
    return intent in _responses("en")


def payment_methods(settings: Settings, lang: str) -> str:
    payments = settings.payments
    names = []
    if payments.card_enabled:
        names.append(t(lang, "support.faq.pay_card"))
    if payments.stars_enabled:
        names.append(t(lang, "support.faq.pay_stars"))
    if payments.pickup_payment_enabled:
        names.append(t(lang, "support.faq.pay_pickup"))
    return t(lang, "support.faq.list_separator").join(names) if names else t(lang, "support.faq.pay_none")


def faq_values(settings: Settings, lang: str) -> dict[str, str]:
    """The placeholders of dialogues/responses, formatted for `lang` (money, lists, pickup point names)."""
    shop = settings.shop
    separator = t(lang, "support.faq.list_separator")
    points = separator.join(p.name.get(lang) for p in shop.pickup_points) or t(lang, "support.faq.no_pickup")
    return {
        "shop_name": shop.name,
        "delivery_fee": Money(shop.delivery_fee, shop.currency).format(),
        "free_delivery_over": Money(shop.free_delivery_over, shop.currency).format(),
        "delivery_days": shop.delivery_days,
        "return_days": str(shop.return_days),
        "hours": shop.hours,
        "pickup_points": points,
        "payment_methods": payment_methods(settings, lang),
        "support_hint": t(lang, "support.faq.hint"),
    }


def faq_answer(settings: Settings, key: str, lang: str) -> str:
    """The response text for an intent (or fallback key) in `lang`, with the shop's values filled in."""
    language = lang if lang in RESPONSE_LANGUAGES else "en"
    template = _responses(language).get(key)
    if template is None:
        template = _responses("en").get(key, "")
    return render(template, faq_values(settings, language))
