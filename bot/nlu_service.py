"""The intent classifier as an application singleton, and FAQ answers filled with the shop's values.

The classifier is built once per application (`Understanding`, in the context): lazily on the first free-text message
(training takes about a second and a half on a cold cache; a cached model loads in milliseconds), in a
thread so the event loop keeps serving other updates meanwhile. `start_warm_up()` builds it ahead of time in
the background (polling does not wait for it: a restarted bot must answer taps at once); a question that
arrives meanwhile waits for that same build (a cached model loads in milliseconds), never for an error.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from functools import cache, partial
from pathlib import Path

from bot.config import Settings
from bot.context import AppContext
from bot.i18n import t, t_plain
from bot.views.clock import zoned_hours
from dialogues.nlu import IntentClassifier, IntentResult, build_classifier, load_responses, render
from dialogues.nlu.rasa import RasaClassifier
from store.money import Money

log = logging.getLogger(__name__)

RESPONSE_LANGUAGES = ("en", "zh")


class Understanding:
    """The application's intent classifier, built once: lazily on the first question or ahead of time in the
    background (`start_warm_up`); a question that arrives meanwhile waits for that same build."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.model: IntentClassifier | None = None
        self._lock = asyncio.Lock()
        self._warming: asyncio.Task[None] | None = None

    async def classifier(self) -> IntentClassifier:
        if self.model is not None:
            return self.model
        async with self._lock:
            if self.model is None:
                nlu = self.settings.nlu
                self.model = await asyncio.to_thread(
                    partial(build_classifier, rasa_url_zh=nlu.rasa_url_zh, rasa_timeout=nlu.rasa_timeout),
                    nlu.backend,
                    nlu.rasa_url,
                    Path(nlu.cache_dir),
                )
                log.info("NLU classifier ready (%s backend)", nlu.backend)
        return self.model

    def start_warm_up(self) -> asyncio.Task[None]:
        """Build the classifier in the background (`close` waits for it)."""
        if self._warming is None:
            self._warming = asyncio.create_task(self._warm_quietly(), name="nlu-warm-up")
        return self._warming

    async def _warm_quietly(self) -> None:
        try:
            await self.classifier()
        except Exception:  # the first question tries again
            log.exception("NLU warm-up failed")

    async def close(self) -> None:
        warming, self._warming = self._warming, None
        if warming is not None:
            await warming  # the model is being trained in a thread, which cannot be interrupted
        found, self.model = self.model, None
        if isinstance(found, RasaClassifier):
            await found.aclose()


async def classifier(ctx: AppContext) -> IntentClassifier:
    return await ctx.understanding.classifier()


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
        "hours": zoned_hours(shop.hours, shop.timezone, datetime.now(UTC)),
        "pickup_points": points,
        "pickup_point_details": pickup_point_details(settings, lang),
        "payment_methods": payment_methods(settings, lang),
        "support_hint": t(lang, "support.faq.hint"),
        "contact_details": contact_details(settings, lang),
    }


def pickup_point_details(settings: Settings, lang: str) -> str:
    """Each pickup point with its address and its own hours (the support hours are not a locker's)."""
    shop = settings.shop
    now = datetime.now(UTC)
    lines = []
    for point in shop.pickup_points:
        always = point.hours.replace(" ", "") in ("00:00-24:00", "00:00-23:59")
        hours = t_plain(lang, "support.faq.open_always") if always else zoned_hours(point.hours, shop.timezone, now)
        name, address = point.name.get(lang), point.address.get(lang)
        lines.append(t_plain(lang, "support.faq.pickup_line", name=name, address=address, hours=hours))
    return "\n".join(lines) or t_plain(lang, "support.faq.no_pickup")


def contact_details(settings: Settings, lang: str) -> str:
    """The shop's phone and email from config (shop.phone, shop.email), one per line, or that there are none."""
    shop = settings.shop
    lines = [t_plain(lang, "support.faq.contact_phone", phone=shop.phone)] if shop.phone else []
    if shop.email:
        lines.append(t_plain(lang, "support.faq.contact_email", email=shop.email))
    return "\n".join(lines) or t_plain(lang, "support.faq.contact_none")


def faq_answer(settings: Settings, key: str, lang: str) -> str:
    """The response text for an intent (or fallback key) in `lang`, with the shop's values filled in."""
    language = lang if lang in RESPONSE_LANGUAGES else "en"
    template = _responses(language).get(key)
    if template is None:
        template = _responses("en").get(key, "")
    return render(template, faq_values(settings, language))
