"""The last line of defence: a refused rule becomes a clear message in the user's language; a database or
Redis outage becomes "temporarily unavailable, try again in a moment" (the app recovers by itself when the
service is back, so that is the truth); Telegram's flood control is not the user's problem and gets no
message at all; anything else unexpected is logged with context and the user gets an apology, never a
traceback."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.types import ErrorEvent, Update

from bot.i18n import language_from_telegram, t
from bot.outages import is_out_of_range, is_outage
from bot.routes import Routes
from bot.telegram_utils import is_not_modified
from bot.views.errors import error_text
from store.errors import DomainError

log = logging.getLogger(__name__)
routes = Routes("errors")


def _language(update: Update, lang: str | None) -> str:
    """The user's language; when the failure came before it was looked up (the database being down), the one
    Telegram reports for them."""
    if lang:
        return lang
    try:
        user = getattr(update.event, "from_user", None)
    except Exception:  # an update of a kind this aiogram does not know
        user = None
    return language_from_telegram(getattr(user, "language_code", None))


@routes.errors()
async def on_error(event: ErrorEvent, lang: str | None = None) -> bool:
    exc = event.exception
    update = event.update
    lang = _language(update, lang)
    if isinstance(exc, TelegramBadRequest) and is_not_modified(exc):
        return True
    if isinstance(exc, TelegramRetryAfter):
        # bot.retry already waited out what it reasonably could; a reply now would meet the same limit, and an
        # apology for Telegram's pacing would be wrong anyway.
        log.warning("update %s: flood control outlasted the retries (%ss)", update.update_id, exc.retry_after)
        if update.callback_query is not None:
            with contextlib.suppress(Exception):  # every tap is answered, if only to stop the spinner
                await update.callback_query.answer()
        return True
    if isinstance(exc, DomainError):
        text = error_text(lang, exc)
        log.info("refused update %s: %r", update.update_id, exc)
    elif is_out_of_range(exc):
        text = t(lang, "errors.generic")
        log.info("update %s: a number out of range: %r", update.update_id, exc)
    elif is_outage(exc):
        text = t(lang, "errors.unavailable")
        log.warning("update %s: a service is unavailable: %r", update.update_id, exc)
    else:
        text = t(lang, "errors.internal")
        log.error(
            "update %s failed (%s)",
            update.update_id,
            update.event_type,
            exc_info=(type(exc), exc, exc.__traceback__),
        )
    try:
        if update.callback_query is not None:
            # A toast for a passing outage; an alert for what the user has to read.
            await update.callback_query.answer(text[:200], show_alert=not is_outage(exc))
        elif update.message is not None:
            await update.message.answer(text)
        elif update.pre_checkout_query is not None:
            await update.pre_checkout_query.answer(ok=False, error_message=text[:255])
    except Exception:
        log.exception("could not tell the user about the error in update %s", update.update_id)
    return True


def setup() -> Router:
    return routes.build()
