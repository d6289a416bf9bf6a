"""The marker of a field a ``…Change`` leaves as it is, where ``None`` is itself a value to store."""

from __future__ import annotations

from enum import Enum


class Unchanged(Enum):
    """The value of a field that a change leaves as it is."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED
