"""Domain errors. They carry a code and parameters, never user text: bot/ turns the code into a message
in the user's language (locale key `errors.<code>`)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule refused the request; the user is told why and nothing was changed."""

    def __init__(self, code: str, /, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, {self.params!r})"


class NotFound(DomainError):
    pass


class Forbidden(DomainError):
    pass


class Conflict(DomainError):
    """The state moved on (stale button, illegal transition, sold out in the meantime)."""
