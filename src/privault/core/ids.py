"""The bounds of numbers the API, the console and the CLI take: ids fit a 64-bit database key.

A number beyond them is refused as invalid input (422, exit code 2) before any use case runs,
rather than overflowing a database column (a 500).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_ID = 2**63 - 1  # the largest key a (signed 64-bit) database column holds

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A database id: a whole number from 1 to 2**63 - 1."""

Count = Annotated[int, Field(ge=0, le=MAX_ID)]
"""A count of people or things: 0 to 2**63 - 1."""

Year = Annotated[int, Field(ge=1, le=9999)]
"""A calendar year."""
