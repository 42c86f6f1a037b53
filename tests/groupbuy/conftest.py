"""Group-buy tests pace card edits faster than production so they run quickly; the pacing rule itself is
asserted against this smaller gap."""

from __future__ import annotations

import pytest

from bot.config import Settings
from tests.conftest import make_test_settings

CARD_GAP = 0.4


@pytest.fixture
def settings() -> Settings:
    return make_test_settings(groupbuy={"card_edit_min_seconds": CARD_GAP})
