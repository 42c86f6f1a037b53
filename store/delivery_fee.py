"""What delivery to the door adds to an order: one rule for carts, group buys and flash sales."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class DeliveryRule:
    """The shop's delivery charge (config shop.delivery_fee and shop.free_delivery_over, in minor units): `fee`
    for delivery to the door unless the goods reach `free_over` (0: never free). Pick-up adds nothing.

    `member_free_over`: one shopper's loyalty-tier perk (store.growth.tiers.shopper_rule; growth.tiers[].
    free_delivery_over): delivery is also free when the goods reach it (0: always free; None: no perk). The shop's
    rule has none; a cart checkout takes the perk off as a "free_delivery" discount instead (store.growth.rewards),
    a group buy's or a flash sale's order, which has no discounts, charges no fee."""

    fee: int = 800
    free_over: int = 9900
    member_free_over: int | None = None

    def fee_for(self, delivery_method: str, goods: int) -> int:
        if delivery_method != "delivery":
            return 0
        if self.member_free_over is not None and goods >= self.member_free_over:
            return 0
        if self.free_over > 0 and goods >= self.free_over:
            return 0
        return self.fee

    def for_member(self, free_over: int | None) -> DeliveryRule:
        """This rule for a shopper whose tier makes delivery free from `free_over` (None: no perk)."""
        return replace(self, member_free_over=free_over)

    @property
    def free_from(self) -> int:
        """The goods from which delivery is free for this shopper, for the "free from ..." hint (0: never, or
        always when member_free_over is 0: then there is no fee to explain)."""
        return min((x for x in (self.free_over, self.member_free_over) if x), default=0)


DEFAULT_RULE = DeliveryRule()
