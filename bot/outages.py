"""Telling a passing outage (the database or Redis unreachable, a pool exhausted) apart from a bug.

An outage is answered "temporarily unavailable, try again in a moment": the engine's pool and the Redis client
reconnect by themselves, so the next try after the service is back works without restarting the bot. A bug
is answered with an apology and logged with its traceback.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import exc as sa_exc

# sqlalchemy.exc.TimeoutError is the pool's "no connection within pool_timeout".
_SQLALCHEMY = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError, sa_exc.TimeoutError)


@cache
def _outage_types() -> tuple[type[BaseException], ...]:
    kinds: list[type[BaseException]] = [*_SQLALCHEMY, ConnectionError, TimeoutError]
    try:
        import redis.exceptions as redis_exc

        kinds += [redis_exc.ConnectionError, redis_exc.TimeoutError]
    except ImportError:  # pragma: no cover - redis is a dependency, but only used when configured
        pass
    try:
        import asyncpg

        kinds += [asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.CannotConnectNowError]
        kinds += [asyncpg.TooManyConnectionsError, asyncpg.ConnectionDoesNotExistError]
    except ImportError:  # pragma: no cover
        pass
    return tuple(kinds)


def is_outage(exc: BaseException) -> bool:
    """True when `exc`, or an exception it was raised from, says a service could not be reached."""
    kinds = _outage_types()
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kinds):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def is_out_of_range(exc: BaseException) -> bool:
    """True when a number from the user (a forged button, a typed id) was too large for the database: bad
    input to refuse politely, not a bug to apologise for."""
    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        if isinstance(current, OverflowError | sa_exc.DataError):
            return True
        if type(current).__name__ in ("DataError", "NumericValueOutOfRangeError"):  # asyncpg, without importing it
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
