"""Group buys run by community leaders: the rules (tiers, limits, deadlines) and the use cases.

Lifecycle: a leader publishes a group buy for one product in a group (`open`); people join and leave until
the deadline; then it is `succeeded` (the minimum was reached) or `failed`; a leader or admin may `cancel` an
open one. Reaching the maximum moves the deadline event to "now", so the buy succeeds at once. Every status
move is a conditional update `... WHERE status = 'open'`, so it happens once even with two bot processes, a
re-delivered update or a deadline event that fires after a restart.

MONEY MODEL: "commit at join, invoice at success".
- Join reserves one unit of stock with a conditional update (`stock >= 1`) and records a participant; a unique
  (group_buy_id, user_id) makes a double tap or a re-delivered update count once. Changing the quantity
  reserves or returns the difference the same way, up to the per-person limit. No money is taken.
- Leaving before the deadline, a failed group buy and a cancelled one return every reserved unit. Nothing
  was charged, so nothing is refunded (the Bot API cannot refund provider payments anyway).
- On success each participant gets an order (`source="groupbuy"`, `source_ref=<id>`) at the FINAL tier price,
  i.e. the price of the tier the group reached, so nobody pays more than the tier reached and everybody pays
  the same unit price. The reserved units move to the order (create_order does not reserve again). A card
  order waits `payment_window_minutes` (`expires_at`), a pay-on-pickup order is `confirmed` and waits the
  pickup hold; an order that expires or is cancelled gives its units back through an order hook (hooks.py).
- The leader's commission (`commission_percent` of the goods subtotal, frozen when the buy is published) is
  credited in an append-only ledger when a participant's order is paid (or, for pay on pickup, delivered),
  keyed by order id so it is credited once, and reversed by a second keyed row when that order is refunded.

Modules by job: rules (vocabulary, the policy, tiers, limits), parsing (the wizard's input and presets), counts
(the wizard's minimum/maximum/limit screen: defaults, steppers, typed form),
views (read models, loading, look-ups), participants (join, leave, quantity, delivery), lifecycle (publish,
the card, countdown ticks, close), leader (cancel, extend, maximum, close early), desk (the leader's overview,
detail, pickup CSV, commission), hooks (order transitions). Everything public is importable from `store.groupbuy`.
"""

from __future__ import annotations

from store.groupbuy.counts import (
    Counts,
    check_counts,
    counts_from_data,
    counts_problem,
    default_counts,
    parse_counts,
    set_counts_field,
    steppers,
    stock_fit,
    stock_limits,
)
from store.groupbuy.desk import (
    CSV_COLUMNS,
    LeaderLine,
    LeaderOverview,
    commission_balance,
    leader_detail,
    leader_overview,
    pickup_csv,
)
from store.groupbuy.hooks import give_back, on_delivered, on_paid, on_refunded
from store.groupbuy.leader import (
    MaximumChoices,
    TiersLocked,
    cancel,
    close_early,
    extend,
    manage_view,
    maximum_choices,
    set_maximum,
    set_tiers,
)
from store.groupbuy.lifecycle import CloseOutcome, attach_card, close, publish, schedule_tick, tick, tick_key
from store.groupbuy.parsing import (
    DEADLINE_PRESETS,
    TIER_PRESETS,
    DeadlineChoice,
    GroupBuySpec,
    clean_pickup_text,
    deadline_preset,
    deadline_presets,
    parse_contact,
    parse_count,
    parse_deadline,
    parse_deadline_choice,
    parse_tiers,
    publish_deadline,
    tier_preset,
    tier_steps,
    tiers_from_steps,
)
from store.groupbuy.participants import JoinResult, join, leave, set_delivery, set_quantity
from store.groupbuy.rules import (
    CANCELLED,
    CLOSED_STATUSES,
    DEADLINE_JOB,
    FAILED,
    MAX_PARTICIPANTS,
    MAX_PER_PERSON,
    MAX_TIERS,
    MIN_DURATION,
    OPEN,
    PICKUP_TEXT_MAX,
    PICKUP_TEXT_MIN,
    SOURCE,
    SUCCEEDED,
    TICK_JOB,
    GroupBuyPolicy,
    Tier,
    check_deadline,
    check_participants,
    check_setup,
    check_units,
    commission_of,
    format_remaining,
    next_tier,
    price_for,
    shown_tiers,
)
from store.groupbuy.views import (
    GroupBuyView,
    ParticipantView,
    candidate_products,
    find_products_for_wizard,
    get,
    my_group_buys,
    open_buys_in,
    open_buys_of,
    participant,
    participants,
    product_for_wizard,
    receive_of,
    wizard_products,
)

__all__ = [
    "CANCELLED",
    "CLOSED_STATUSES",
    "CSV_COLUMNS",
    "DEADLINE_JOB",
    "DEADLINE_PRESETS",
    "FAILED",
    "MAX_PARTICIPANTS",
    "MAX_PER_PERSON",
    "MAX_TIERS",
    "MIN_DURATION",
    "OPEN",
    "PICKUP_TEXT_MAX",
    "PICKUP_TEXT_MIN",
    "SOURCE",
    "SUCCEEDED",
    "TICK_JOB",
    "TIER_PRESETS",
    "CloseOutcome",
    "Counts",
    "DeadlineChoice",
    "GroupBuyPolicy",
    "GroupBuySpec",
    "GroupBuyView",
    "JoinResult",
    "LeaderLine",
    "LeaderOverview",
    "MaximumChoices",
    "ParticipantView",
    "Tier",
    "TiersLocked",
    "attach_card",
    "cancel",
    "candidate_products",
    "check_counts",
    "check_deadline",
    "check_participants",
    "check_setup",
    "check_units",
    "clean_pickup_text",
    "close",
    "close_early",
    "commission_balance",
    "commission_of",
    "counts_from_data",
    "counts_problem",
    "deadline_preset",
    "deadline_presets",
    "default_counts",
    "extend",
    "find_products_for_wizard",
    "format_remaining",
    "get",
    "give_back",
    "join",
    "leader_detail",
    "leader_overview",
    "leave",
    "manage_view",
    "maximum_choices",
    "my_group_buys",
    "next_tier",
    "on_delivered",
    "on_paid",
    "on_refunded",
    "open_buys_in",
    "open_buys_of",
    "parse_contact",
    "parse_count",
    "parse_counts",
    "parse_deadline",
    "parse_deadline_choice",
    "parse_tiers",
    "participant",
    "participants",
    "pickup_csv",
    "price_for",
    "product_for_wizard",
    "publish",
    "publish_deadline",
    "receive_of",
    "schedule_tick",
    "set_counts_field",
    "set_delivery",
    "set_maximum",
    "set_quantity",
    "set_tiers",
    "shown_tiers",
    "steppers",
    "stock_fit",
    "stock_limits",
    "tick",
    "tick_key",
    "tier_preset",
    "tier_steps",
    "tiers_from_steps",
    "wizard_products",
]
