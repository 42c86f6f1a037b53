"""Operations tests: the stock sweep runs every second instead of every minute."""

from __future__ import annotations

import pytest

from bot.config import Settings
from tests.conftest import make_test_settings


@pytest.fixture
def settings() -> Settings:
    return make_test_settings(ops={"stock_check_seconds": 1})
