"""The emulator tests' harness (a running emulator and a raw Bot API caller), shared rather than copied."""

from __future__ import annotations

from tests.emulator.conftest import Harness, h, running

__all__ = ["Harness", "h", "running"]
