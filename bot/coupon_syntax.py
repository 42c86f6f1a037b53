"""The one-line coupon syntax shared by `/coupon_new` and `groupcart coupon create`:

CODE 10% [min=50] [limit=100] [per_user=1] [days=30] [starts=2026-12-01] [scope=category:fruit|product:SKU]
     [auto] [points=500] [nostack=points,tier]
CODE 5.00 ...            (a fixed amount in the shop currency)
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from store.errors import DomainError
from store.growth import coupons
from store.growth.coupons import CouponSpec
from store.models import utcnow
from store.money import parse_major


def parse_coupon(text: str, currency: str, timezone: str) -> CouponSpec:
    # Typed on a Chinese keyboard, "ＳＡＶＥ１０ １０％" is "SAVE10 10%": the same command.
    parts = unicodedata.normalize("NFKC", text).split()
    if len(parts) < 2:
        raise DomainError("coupon_syntax")
    code, amount, *options = parts
    try:
        if amount.endswith("%"):
            kind, value, fixed_currency = "percent", int(amount[:-1]), None
        else:
            kind, value, fixed_currency = "fixed", parse_major(amount, currency), currency
    except ValueError as exc:
        raise DomainError("coupon_bad_value") from exc
    fields: dict[str, object] = {}
    zone = ZoneInfo(timezone)
    try:
        for option in options:
            key, _, raw = option.partition("=")
            if key == "min":
                fields["min_spend"] = parse_major(raw, currency)
            elif key == "limit":
                fields["total_limit"] = int(raw)
            elif key == "per_user":
                fields["per_user_limit"] = int(raw)
            elif key == "days":
                fields["ends_at"] = utcnow() + timedelta(days=int(raw))
            elif key == "starts":
                fields["starts_at"] = datetime.combine(datetime.fromisoformat(raw).date(), time(), zone)
            elif key == "ends":
                fields["ends_at"] = datetime.combine(datetime.fromisoformat(raw).date(), time(), zone)
            elif key == "scope":
                scope, _, ref = raw.partition(":")
                fields["scope"], fields["scope_ref"] = scope, ref or None
            elif key == "auto":
                fields["automatic"] = True
            elif key == "points":
                fields["points_cost"] = int(raw)
            elif key == "nostack":
                kinds = set(raw.split(","))
                fields["stacks_with_points"] = "points" not in kinds
                fields["stacks_with_tier"] = "tier" not in kinds
            else:
                raise DomainError("coupon_syntax")
    except ValueError as exc:
        raise DomainError("coupon_syntax") from exc
    return CouponSpec(code=coupons.normalise(code), kind=kind, value=value, currency=fixed_currency, **fields)  # type: ignore[arg-type]
