"""Field types for callback data. A button's numbers come back from the client, so they are bounded here: a
forged id of 2**63 fails to unpack (the tap is answered "no longer active") instead of overflowing a database
integer deep inside a handler."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

# Database ids and counters: within every database's 64-bit integer with room to spare.
Id = Annotated[int, Field(ge=-(2**53), le=2**53)]
