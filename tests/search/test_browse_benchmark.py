"""The browse benchmark still runs (tiny sizes): every measured update is handled, without errors."""

from __future__ import annotations

import logging
from pathlib import Path

from benchmarks import browse


async def test_browse_benchmark_smoke(tmp_path: Path) -> None:
    logging.getLogger().addHandler(browse.ERRORS)
    try:
        lines = await browse.run_size(300, 3, tmp_path)
    finally:
        logging.getLogger().removeHandler(browse.ERRORS)
    text = "\n".join(lines)
    assert "NOT HANDLED" not in text
    assert "errors logged: 0 []" in text
    for name in ("card open (ProductCB callback)", "catalog page", "search /search typical words", "typo'd"):
        assert name in text
    assert "bare aiogram dispatch" in await browse.baseline(3)
