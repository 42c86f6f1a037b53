"""Staff tests reuse the support desk (forum support group, agents Sam and Tess) from tests/support."""

from tests.support.conftest import desk

__all__ = ["desk"]
