"""Group-buy tests pace card edits faster than production so they run quickly; the pacing rule itself is
asserted against this smaller gap."""

from __future__ import annotations

import pytest

from bot.config import Settings, load_settings
from tests.conftest import ADMIN_ID, ROOT

CARD_GAP = 0.4


@pytest.fixture
def settings() -> Settings:
    return load_settings(
        ROOT / "config.yaml",
        admins=[ADMIN_ID],
        scheduler={"sweep_seconds": 0.2, "grace_seconds": 300},
        outbox={"per_second": 200, "poll_seconds": 0.05, "max_attempts": 3},
        groupbuy={"card_edit_min_seconds": CARD_GAP},
    )
