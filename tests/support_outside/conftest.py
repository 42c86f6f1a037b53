"""`desk_at(when)`: the `shop` stack with the sandbox's demo people and support group, started on a chosen wall
clock (support hours are 09:00-21:00 shop time, config.yaml): tests/shop_clock.py's fixture with the people."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from tests.shop_clock import shop_fixture_at


def desk_at(when: datetime) -> Callable[..., Any]:
    """A fixture (assign it to a name in the test module): the demo-people stack started on `when`."""
    return shop_fixture_at(when, demo_people=True)
