"""How a CLI command reports a refused request: the rule's code and details on stderr, exit status 2."""

from __future__ import annotations

import sys

from store.errors import DomainError


def refused(exc: DomainError, what: str = "refused") -> int:
    details = f" {exc.params}" if exc.params else ""
    print(f"groupcart: {what}: {exc.code}{details}", file=sys.stderr)
    return 2
