"""The support desk fixture (`desk`) of tests/support, shared here."""

from __future__ import annotations

from tests.support.conftest import desk

__all__ = ["desk"]
