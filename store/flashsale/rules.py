"""Flash-sale vocabulary: statuses, outcomes, event and outbox keys, limits."""

from __future__ import annotations

from datetime import datetime

from store.errors import DomainError
from store.growth import tiers
from store.growth.policy import GrowthPolicy
from store.models import utcnow
from store.money import STARS, Money

SOURCE = "flashsale"
SCHEDULED, LIVE, ENDED, CANCELLED, MISSED = "scheduled", "live", "ended", "cancelled", "missed"
STATUSES = (SCHEDULED, LIVE, ENDED, CANCELLED, MISSED)
START_JOB, END_JOB = "flash_start", "flash_end"
# With tier early access the sale goes live early for those members; this event opens it to everyone.
PUBLIC_JOB = "flash_public"
# Set in session.info when a sale's state changed, so in-memory admission gates reload it after commit.
SESSION_KEY = "flashsale_changed"
# Set in session.info when a live sale's units left changed (a batch of claims, a unit given back): the bot redraws
# the group cards' count after commit, paced (bot/flash_cards.py). A set add: the claim batch does no more work.
COUNT_KEY = "flashsale_count"

# Outbox templates (rendered by bot/views/flashsale.py).
CARD_TEMPLATE = "flashsale.card"  # the announcement (group card or private message) and its later edits
WON_TEMPLATE = "flashsale.won"  # private: you got a unit, pay within N minutes
SUMMARY_TEMPLATE = "flashsale.summary"  # to admins when a sale ends
MISSED_TEMPLATE = "flashsale.missed_note"  # to admins when a start came too late
# private: a won unit's order expired unpaid; replaces the generic "order expired" notice (hooks.unit_back)
EXPIRED_TEMPLATE = "flashsale.expired"
# private: the delivery or pick-up choice `/start fsp_<order id>` answered with (sent by the handler, not the outbox:
# its row is written already sent, so the message id is known when the unit goes back; store.flashsale.pay_messages)
PAY_PROMPT_TEMPLATE = "flashsale.pay_prompt"

MAX_STOCK = 100_000


def won_key(order_id: int) -> str:
    """The outbox key of a winner's "you got one, pay within N minutes" message."""
    return f"flashwon:{order_id}"


PAY_PROMPTS_KEPT = 5


def pay_prompt_keys(order_id: int) -> list[str]:
    """The outbox keys under which the order's delivery or pick-up choices are kept (exact keys: the unique index
    finds them; a LIKE prefix is not indexed under every collation)."""
    return [f"flashprompt:{order_id}:{n}" for n in range(PAY_PROMPTS_KEPT)]


def stars_price(regular: int, regular_stars: int, flash_price: int) -> int:
    """A digital product's flash price in Stars: its Star price with the sale's discount (flash / regular
    price), rounded up, at least one Star. Telegram sells digital goods for Stars only."""
    if regular <= 0:
        return regular_stars
    return max(1, -(-regular_stars * flash_price // regular))


def price_for_stars(regular: int, regular_stars: int, stars: int) -> int | None:
    """The inverse of `stars_price`: the sale price (in the product's currency) whose price in Stars is exactly
    `stars`, for an admin who sets a digital product's flash price in Stars. The highest such price, so the
    sale's revenue in its own currency is not understated; None when no price maps to it (a Star worth more
    than one minor unit of the currency) or it would not be below the regular price."""
    if regular <= 0 or regular_stars <= 0 or not 0 < stars < regular_stars:
        return None
    price = stars * regular // regular_stars
    return price if 0 < price < regular and stars_price(regular, regular_stars, price) == stars else None


def check_price(price: int, currency: str, regular: int, regular_currency: str, regular_stars: int | None) -> None:
    """The one rule for a sale's price, for every path that sets it (wizard, commands, command line): above zero
    (Telegram refuses a ¥0.00 invoice, so every winner's Pay tap would fail) and below the regular price, or the
    card announces a "discount" that costs more. For a digital product sold in Stars the Star price a winner pays
    must be below the regular Star price too: rounding up can make a slightly lower price the same number of Stars.
    `regular_stars`: the product's Star price when it sells for Stars, else None."""
    if price <= 0:
        raise DomainError("flash_bad_price")
    if currency != regular_currency or price >= regular:
        # Prices in different currencies cannot be compared: nothing shows the sale to be below the regular price.
        raise DomainError("flash_price_not_lower", regular=Money(regular, regular_currency).format())
    if regular_stars and stars_price(regular, regular_stars, price) >= regular_stars:
        raise DomainError("flash_price_not_lower", regular=Money(regular_stars, STARS).format())


def shown_prices(regular: int, currency: str, flash_price: int, regular_stars: int | None) -> tuple[Money, Money]:
    """(flash price, regular price) as a buyer pays them: in Stars for a digital product with a Star price
    (Telegram sells digital goods for Stars only), else in the sale's currency."""
    if regular_stars:
        return Money(stars_price(regular, regular_stars, flash_price), STARS), Money(regular_stars, STARS)
    return Money(flash_price, currency), Money(regular, currency)


MAX_PER_USER = 100


def start_key(sale_id: int) -> str:
    return f"{START_JOB}:{sale_id}"


def public_key(sale_id: int) -> str:
    return f"{PUBLIC_JOB}:{sale_id}"


def opening_time(starts_at: datetime, rules: GrowthPolicy) -> datetime:
    """When the start event fires: the public start less the best tier's early access. A sale created inside
    that window opens now, and one whose start has already come (`start=now`) at its start: the early access
    must not date the event back, or it would look "late" and mark the sale missed as if the bot had been
    down. Lateness is still counted from the start itself, so a start long past stays missed."""
    return max(starts_at - tiers.max_early_access(rules), min(utcnow(), starts_at))


def end_key(sale_id: int) -> str:
    return f"{END_JOB}:{sale_id}"


def announce_key(sale_id: int, chat_id: int) -> str:
    """`flash:<id>:<user>` for a subscriber, `flash:<id>:<negative chat id>` for a group card."""
    return f"flash:{sale_id}:{chat_id}"


# What a tap gets (ClaimResult.outcome). BUSY: the tap is queued behind a saturated database and its result
# is not known within the answer budget (the claim still goes on); RETRY: recording it failed, nothing was taken.
# HELD answers only a repeated tap (AdmissionGate.repeat): the user has a unit from this sale, below the limit.
WON, SOLD_OUT, LIMIT, NOT_STARTED, ENDED_OUTCOME = "won", "sold_out", "limit", "not_started", "ended"
BUSY, RETRY, HELD = "busy", "retry", "held"
