"""What delivery to the door adds to an order: one rule for carts, group buys and flash sales."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeliveryRule:
    """The shop's delivery charge (config shop.delivery_fee and shop.free_delivery_over, in minor units): `fee`
    for delivery to the door unless the goods reach `free_over` (0: never free). Pick-up adds nothing."""

    fee: int = 800
    free_over: int = 9900

    def fee_for(self, delivery_method: str, goods: int) -> int:
        if delivery_method != "delivery":
            return 0
        if self.free_over > 0 and goods >= self.free_over:
            return 0
        return self.fee


DEFAULT_RULE = DeliveryRule()
