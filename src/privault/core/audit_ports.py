"""Where the audit log's latest signed checkpoint is kept outside the database: the witness.

An attacker with write access to the database can delete checkpoints, truncate the chain or
recompute it; they cannot make the witness forget the signed checkpoint it holds, nor sign a new one
without the tenant's key. Verification compares the database with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from privault.core.records import CheckpointRecord


class Witness(Protocol):
    """Keeps, per tenant, the latest signed checkpoint and how far the log was last verified."""

    def latest(self, tenant: str) -> CheckpointRecord | None:
        """The latest checkpoint published (None before the first)."""
        ...

    def publish(self, tenant: str, point: CheckpointRecord) -> None:
        """Keep ``point`` if it is past the one kept (a witness never goes back)."""
        ...

    def verified(self, tenant: str) -> tuple[int, str] | None:
        """(seq, hash) the last verification reached with no problem, if any."""
        ...

    def mark_verified(self, tenant: str, seq: int, hash_: str) -> None:
        """Remember that the log verified up to ``seq`` (whose hash is ``hash_``)."""
        ...

    def set_aside(self, tenant: str, at: datetime) -> str | None:
        """Put what is kept for the tenant aside, as evidence named with ``at``, and start empty
        (after a restore of the database was accepted); where it went, or None if nothing was
        kept."""
        ...
