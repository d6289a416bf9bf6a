"""Ports of disclosures to recipients. Storage implements them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class DisclosureRecord:
    """One subject's data given to a recipient: who, whose, what, why, on what legal basis."""

    batch: str
    recipient: str
    subject_id: int
    purpose: str
    categories: tuple[str, ...]
    transform: str
    legal_basis: str | None
    document_ref: str | None
    notice_withheld_until: date | None
    withhold_reference: str | None
    actor: str
    at: datetime
    id: int | None = None  # set once stored


class DisclosureRepository(Protocol):
    """Disclosure register of the bound tenant."""

    def add(self, rows: Sequence[DisclosureRecord]) -> None:
        """Record disclosures (one row per subject)."""
        ...

    def for_subjects(self, subject_ids: Sequence[int]) -> list[DisclosureRecord]:
        """Disclosures of these subjects' data, oldest first."""
        ...

    def recent(
        self,
        *,
        subject_id: int | None = None,
        recipient: str | None = None,
        limit: int = 500,
    ) -> list[DisclosureRecord]:
        """The newest disclosures, optionally of one subject or to one recipient."""
        ...

    def live_ids(self, refs: Sequence[str]) -> dict[str, int]:
        """Ref -> id of the live (not erased) subjects among ``refs``."""
        ...

    def holders(self, kind: str, after_id: int, limit: int) -> list[int]:
        """Ids (ascending, above ``after_id``) of live subjects with a ref and an identity of ``kind``."""
        ...
