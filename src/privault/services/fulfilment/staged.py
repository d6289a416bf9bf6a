"""What a fulfilment handler works with: the outcome it fills in, the vault part it stages for the
closing transaction, and the datastores it searches outside any transaction of ours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from privault.connectors.model import DatasetSpec
from privault.connectors.results import AccessResult
from privault.core.ports import UnitOfWork
from privault.core.records import SubjectRecord
from privault.core.requests import RequestRecord
from privault.crypto.envelope import SubjectCipher
from privault.crypto.subjects import subject_cipher
from privault.errors import PrivaultError
from privault.services.cpni_alerts import Alert
from privault.services.datastores import connected
from privault.services.deps import Deps
from privault.services.fulfilment.tally import failed_here, found_here


@dataclass
class Outcome:
    """What fulfilment did, for the request's result (counts, codes and names; never values)."""

    complete: bool = True
    response: list[str] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    tasks: list[tuple[str, str]] = field(default_factory=list)  # (system, what to do)
    alerts: list[Alert] = field(default_factory=list)  # FCC-AUTH-2, sent after the commit

    def fail(self, problem: str) -> None:
        """Something could not be done (or is still to do): the request stays incomplete."""
        self.complete = False
        self.problems.append(problem)


def _cipher(deps: Deps, tenant_key: str, tenant_id: int, subject: SubjectRecord) -> SubjectCipher:
    return subject_cipher(deps.keyring, tenant_key, tenant_id, subject)


def _subject(uow: UnitOfWork, request: RequestRecord) -> SubjectRecord | None:
    if request.subject_id is None:
        return None
    found = uow.subjects.get_many([request.subject_id])
    return found[0] if found and found[0].wrapped_key is not None else None


@dataclass(frozen=True, slots=True)
class Closing:
    """What the vault part of fulfilment works with, inside the transaction that closes the request."""

    deps: Deps
    uow: UnitOfWork
    tenant_key: str
    tenant_id: int
    request: RequestRecord
    outcome: Outcome

    def __iter__(self) -> Iterator[Any]:
        """Unpack in field order: ``deps, uow, tenant_key, tenant_id, request, outcome = closing``."""
        return iter(
            (self.deps, self.uow, self.tenant_key, self.tenant_id, self.request, self.outcome)
        )


class Staged:
    """What a handler did outside the database transaction; ``commit`` does the vault part in it."""

    def commit(self, closing: Closing) -> None:
        """Apply the vault part (default: nothing)."""

    def answer(self, total: dict[str, Any], outcome: Outcome) -> None:
        """Word the answer from the totals over every run (default: what this run said)."""


def _datastore_access(
    deps: Deps,
    tenant_key: str,
    identities: dict[str, list[str]],
    outcome: Outcome,
    keep: Callable[[str, DatasetSpec, AccessResult], AccessResult] | None = None,
) -> dict[str, AccessResult]:
    """Each connected datastore's rows of the person; ``keep`` narrows them (a date range)."""
    found: dict[str, AccessResult] = {}
    by_store: dict[str, dict[str, Any]] = {}
    with deps.make_uow() as uow:
        stores = connected(deps, uow, tenant_key)
    for key, store in stores:
        try:
            found[key] = store.access(identities)
            if keep is not None:
                found[key] = keep(key, store.dataset, found[key])
        except PrivaultError as exc:
            outcome.fail(f"datastore {key} could not be searched ({exc.code})")
            by_store[key] = failed_here(exc.code)
            continue
        by_store[key] = found_here(found[key])
    outcome.result["datastores"] = sorted(found)
    outcome.result["by_datastore"] = dict(sorted(by_store.items()))
    return found


SYSTEM_ACTOR = "privault:request"
