"""An in-memory witness with the semantics of ``crypto/witness.py``."""

from __future__ import annotations

from datetime import datetime

from privault.core.records import CheckpointRecord


class MemoryWitness:
    """A witness kept in memory."""

    def __init__(self) -> None:
        self.points: dict[str, CheckpointRecord] = {}
        self.marks: dict[str, tuple[int, str]] = {}
        self.aside: list[tuple[str, datetime, CheckpointRecord]] = []

    def latest(self, tenant: str) -> CheckpointRecord | None:
        """The checkpoint kept, if any."""
        return self.points.get(tenant)

    def publish(self, tenant: str, point: CheckpointRecord) -> None:
        """Keep ``point`` unless a later one is kept already."""
        kept = self.points.get(tenant)
        if kept is None or point.seq > kept.seq:
            self.points[tenant] = point

    def verified(self, tenant: str) -> tuple[int, str] | None:
        """Where the last clean verification ended."""
        return self.marks.get(tenant)

    def mark_verified(self, tenant: str, seq: int, hash_: str) -> None:
        """Remember a clean verification up to ``seq``."""
        self.marks[tenant] = (seq, hash_)

    def set_aside(self, tenant: str, at: datetime) -> str | None:
        """Keep the tenant's checkpoint in ``aside`` and start empty."""
        point = self.points.pop(tenant, None)
        self.marks.pop(tenant, None)
        if point is None:
            return None
        self.aside.append((tenant, at, point))
        return f"memory:{tenant}:{at.isoformat()}"
