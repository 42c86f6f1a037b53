"""Flash sales (秒杀): the rules and use cases.

Lifecycle: an admin schedules a sale (`scheduled`); the `flash_start:<id>` event makes it `live` and queues the
announcements (group cards and private messages to subscribers, outbox rows keyed `flash:<id>:<chat>` so a
crash resumes without sending twice); the `flash_end:<id>` event makes it `ended` (at the end time, or at once
when every unit is paid). A scheduled sale may be edited or cancelled; a start that comes later than
`start_grace_seconds` (the bot was down) marks the sale `missed`. Every move is a conditional update on status.

STOCK MODEL: creating a sale takes its units out of `products.stock` (conditional update), so the flash pool can
never be bought twice. A tap that wins claims one unit of the pool (`sold = sold + n WHERE sold + n <= stock`,
batched behind an admission gate: gate.py) and gets an order at the flash price (`source="flashsale"`) with a short
payment window. An unpaid order that expires or is cancelled gives its unit back to the pool (to the product
once the sale is over). When the sale closes, the unsold units go back to the product.

PER-USER LIMIT: every won unit is a claim row with a unique (sale, user, seq), seq in 1..limit, so a double tap,
a re-delivered update or a second bot process cannot give anyone more than the limit. A claim whose order
expired still counts: the limit is on units won, so nobody can hold units hostage by not paying and retrying.

PRICE AND TIME: a sale's price is above zero and below the product's regular price (rules.check_price), and a
product is in at most one scheduled or live sale at a time, or a shopper would get the per-person limit from
each. admin.py enforces both on every create and edit, whichever path (wizard, command, command line) asks.

Modules by job: rules (vocabulary), parsing (admin input), views (read models, live prices), stock (the pool
and the product), admin (create, edit, cancel), lifecycle (start/end events, announcements), claims (batched
commits of admitted taps), gate (the admission port), hooks (order transitions), buyers (receipt, subscriptions).
Everything public is importable from `store.flashsale`.
"""

from __future__ import annotations

from store.flashsale.admin import cancel_sale, create_sale, edit_sale, sale_by_key
from store.flashsale.buyers import (
    LIMIT_ALL_RETURNED,
    LIMIT_SOME_RETURNED,
    choose_receipt,
    claims_of,
    limit_reason,
    pay_in_stars,
    set_subscribed,
)
from store.flashsale.claims import (
    BatchResult,
    ClaimRequest,
    ClaimResult,
    GateSnapshot,
    UserRow,
    commit_claims,
    gate_snapshot,
)
from store.flashsale.gate import AdmissionGate
from store.flashsale.lifecycle import (
    StartOutcome,
    admins_to_tell,
    end_sale,
    open_to_everyone,
    redraw_count,
    start_sale,
)
from store.flashsale.parsing import parse_groups, parse_time
from store.flashsale.pay_messages import record_pay_prompt
from store.flashsale.rules import (
    BUSY,
    CANCELLED,
    CARD_TEMPLATE,
    COUNT_KEY,
    END_JOB,
    ENDED,
    ENDED_OUTCOME,
    EXPIRED_TEMPLATE,
    HELD,
    LIMIT,
    LIVE,
    MAX_PER_USER,
    MAX_STOCK,
    MISSED,
    MISSED_TEMPLATE,
    NOT_STARTED,
    PAY_PROMPT_TEMPLATE,
    PUBLIC_JOB,
    RETRY,
    SCHEDULED,
    SESSION_KEY,
    SOLD_OUT,
    SOURCE,
    START_JOB,
    STATUSES,
    SUMMARY_TEMPLATE,
    WON,
    WON_TEMPLATE,
    announce_key,
    check_price,
    end_key,
    opening_time,
    price_for_stars,
    public_key,
    shown_prices,
    stars_price,
    start_key,
)
from store.flashsale.views import (
    LivePrice,
    SaleEdit,
    SaleSpec,
    SaleView,
    get_sale,
    list_sales,
    live_prices,
    live_prices_in,
    products_on_sale,
)

__all__ = [
    "BUSY",
    "CANCELLED",
    "CARD_TEMPLATE",
    "COUNT_KEY",
    "ENDED",
    "ENDED_OUTCOME",
    "END_JOB",
    "EXPIRED_TEMPLATE",
    "HELD",
    "LIMIT",
    "LIMIT_ALL_RETURNED",
    "LIMIT_SOME_RETURNED",
    "LIVE",
    "MAX_PER_USER",
    "MAX_STOCK",
    "MISSED",
    "MISSED_TEMPLATE",
    "NOT_STARTED",
    "PAY_PROMPT_TEMPLATE",
    "PUBLIC_JOB",
    "RETRY",
    "SCHEDULED",
    "SESSION_KEY",
    "SOLD_OUT",
    "SOURCE",
    "START_JOB",
    "STATUSES",
    "SUMMARY_TEMPLATE",
    "WON",
    "WON_TEMPLATE",
    "AdmissionGate",
    "BatchResult",
    "ClaimRequest",
    "ClaimResult",
    "GateSnapshot",
    "LivePrice",
    "SaleEdit",
    "SaleSpec",
    "SaleView",
    "StartOutcome",
    "UserRow",
    "admins_to_tell",
    "announce_key",
    "cancel_sale",
    "check_price",
    "choose_receipt",
    "claims_of",
    "commit_claims",
    "create_sale",
    "edit_sale",
    "end_key",
    "end_sale",
    "gate_snapshot",
    "get_sale",
    "limit_reason",
    "list_sales",
    "live_prices",
    "live_prices_in",
    "open_to_everyone",
    "opening_time",
    "parse_groups",
    "parse_time",
    "pay_in_stars",
    "price_for_stars",
    "products_on_sale",
    "public_key",
    "record_pay_prompt",
    "redraw_count",
    "sale_by_key",
    "set_subscribed",
    "shown_prices",
    "stars_price",
    "start_key",
    "start_sale",
]
