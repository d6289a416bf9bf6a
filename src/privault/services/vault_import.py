"""Writing new subjects: create one, or import many.

Each subject is validated, authorised and encrypted completely before anything is written (a bad line
never half-writes); batches are then stored in one transaction each, one audit event per subject.
Preparation can run in worker processes while the caller writes, so two cores are both used.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import secrets
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from privault.core.access import Principal
from privault.core.audit import canonical_details
from privault.core.clock import Clock
from privault.core.import_lines import BadLine
from privault.core.manifest import Manifest
from privault.core.manifest.model import Action
from privault.core.ports import UnitOfWork
from privault.core.records import NewSubject, NewSubjectData
from privault.core.retention import check_child_collection
from privault.core.vault import (
    DATE_OF_BIRTH,
    adult_on,
    identity_category,
    identity_pairs,
    parse_subject,
)
from privault.crypto.envelope import SubjectCipher, data_key_aad, new_data_key
from privault.crypto.keyring import Keyring
from privault.errors import Conflict, PrivaultError
from privault.services.audit import Entry, record
from privault.services.decisions import Decider
from privault.services.deps import Deps
from privault.services.retention_subjects import mark_minor_by_ref
from privault.services.vault import DATA_KEY_VERSION, VaultContext


@dataclass
class ImportReport:
    """The outcome of an import: how many subjects went in, and each bad line with its reason."""

    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    preparers: set[int] = field(default_factory=set)  # ids of the processes that encrypted

    @property
    def worker_processes(self) -> int:
        """How many processes other than this one validated and encrypted lines."""
        return len(self.preparers - {os.getpid()})


WORKERS_FROM = 5_000  # lines above which an import encrypts in a worker process by default


def default_workers(lines: int) -> int:
    """Worker processes for an import of ``lines`` lines: one above 5,000, none for less."""
    return 1 if lines > WORKERS_FROM else 0


@dataclass(frozen=True, slots=True)
class _Prepared:
    line: int
    data: NewSubjectData
    entry: Entry
    minor: bool = False  # under the tenant's minor age: suppressed once stored (POL-MIN-1)

    @property
    def subject(self) -> NewSubject:
        return self.data.subject


def _prepare(
    ctx: VaultContext, principal: Principal, line: int, raw: object, at: datetime
) -> _Prepared:
    item = parse_subject(raw)
    pairs = identity_pairs(item.identities)
    ctx.check_collection(item.source, item.purpose, list(item.data))
    check_child_collection(ctx.view, item.data, item.parental_consent is not None, at.date())
    categories = [*item.data, *(identity_category(kind) for kind, _ in pairs)]
    ctx.require(principal, Action.WRITE, item.purpose, categories)
    uid = secrets.token_hex(16)
    data_key = new_data_key()
    version, wrapped = ctx.vault.keyring.wrap(
        ctx.tenant_key, data_key, data_key_aad(ctx.tenant_id, uid, DATA_KEY_VERSION)
    )
    cipher = SubjectCipher(data_key, ctx.tenant_id, uid, DATA_KEY_VERSION)
    identities = [
        (kind, ctx.index(kind, value), cipher.seal_value(f"identity:{kind}", value))
        for kind, value in pairs
    ]
    fields = [
        (name, name, item.source, item.purpose, cipher.seal_value(name, value))
        for name, value in item.data.items()
    ]
    dob = item.data.get(DATE_OF_BIRTH)
    adult = adult_on(dob, ctx.view.policy.minor_age) if dob is not None else None
    declared = ctx.view.purpose(item.purpose)
    exclusive = (
        json.dumps({item.purpose: sorted(item.data)})
        if declared and declared.exclusive and item.data
        else None
    )
    subject = NewSubject(
        uid,
        item.subject or f"sub_{uid[:20]}",
        DATA_KEY_VERSION,
        version,
        wrapped,
        adult,
        at,
        exclusive,
    )
    facts: dict[str, object] = {
        "fields": sorted(item.data),
        "identities": sorted({k for k, _ in pairs}),
        "source": item.source,
    }
    if item.parental_consent is not None:
        facts["parental_consent"] = item.parental_consent.method
    entry = Entry(
        principal.actor, "vault:subject:create", uid, item.purpose, "ok", canonical_details(facts)
    )
    minor = adult is not None and at.date() < adult
    return _Prepared(line, NewSubjectData(subject, fields, identities), entry, minor)


def import_subjects(
    deps: Deps,
    principal: Principal,
    lines: Iterable[tuple[int, object]],
    *,
    batch_size: int = 1000,
    workers: int = 0,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import subjects; a bad line is reported with its number and the rest still import.

    Each subject is all-or-nothing: it is validated and encrypted completely before anything is written.
    With ``workers`` > 0, that preparation runs in worker processes while this one writes, so encryption
    and database work use separate cores (threads would fight over the GIL).
    """
    report = ImportReport()
    with _cyclic_gc_paused(), _preparer(deps, principal, workers) as prepare:
        for prepared, errors, count, pid in prepare(_batches(lines, batch_size)):
            report.errors += errors
            report.preparers.add(pid)
            _store(deps, principal, prepared, report)
            _suppress_minors(deps, principal, [p for p in prepared if p.minor])
            if progress is not None:
                progress(count)
    report.errors.sort()
    return report


Prepared = tuple[list[_Prepared], list[tuple[int, str]], int, int]  # …, lines, preparer pid
Preparer = Callable[[Iterator[list[tuple[int, object]]]], Iterator[Prepared]]


@contextmanager
def _preparer(deps: Deps, principal: Principal, workers: int) -> Iterator[Preparer]:
    if workers <= 0:
        ctx = VaultContext(deps, principal.tenant_key, principal.tenant_id)
        yield lambda batches: (_prepare_batch(ctx, principal, b, deps.clock.now()) for b in batches)
        return
    context = multiprocessing.get_context("spawn")  # fork would copy live connections and locks
    with ProcessPoolExecutor(workers, mp_context=context, initializer=gc.disable) as pool:
        yield lambda batches: _in_pool(pool, deps, principal, batches, ahead=workers + 1)


def _in_pool(
    pool: ProcessPoolExecutor,
    deps: Deps,
    principal: Principal,
    batches: Iterator[list[tuple[int, object]]],
    ahead: int,
) -> Iterator[Prepared]:
    """Keep ``ahead`` batches in preparation; hand them back in order."""
    sealing = _Sealing(deps.manifest, Decider(deps.manifest), deps.keyring, deps.clock)
    pending: deque[Future[Prepared]] = deque()
    for batch in batches:
        pending.append(pool.submit(_prepare_in_worker, sealing, principal, batch, deps.clock.now()))
        if len(pending) > ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


@dataclass(frozen=True, slots=True)
class _Sealing:
    """What a worker process needs to validate and encrypt a batch: picklable (no engine, no pools,
    a decider without caches), sent with each batch (about 1 ms) so that workers keep no state."""

    manifest: Manifest
    decider: Decider
    keyring: Keyring
    clock: Clock


def _prepare_in_worker(
    sealing: _Sealing, principal: Principal, batch: list[tuple[int, object]], at: datetime
) -> Prepared:
    ctx = VaultContext(sealing, principal.tenant_key, principal.tenant_id)
    return _prepare_batch(ctx, principal, batch, at)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """An import allocates millions of short-lived, acyclic objects; the cycle collector only slows
    it down (reference counting still frees everything). Restored afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _batches(lines: Iterable[tuple[int, object]], size: int) -> Iterator[list[tuple[int, object]]]:
    batch: list[tuple[int, object]] = []
    for item in lines:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _prepare_batch(
    ctx: VaultContext, principal: Principal, batch: Sequence[tuple[int, object]], at: datetime
) -> Prepared:
    prepared: list[_Prepared] = []
    errors: list[tuple[int, str]] = []
    seen: set[str] = set()
    for line, raw in batch:
        if isinstance(raw, BadLine):  # the reader could not read it (binary, not JSON or CSV)
            errors.append((line, raw.reason))
            continue
        try:
            item = _prepare(ctx, principal, line, raw, at)
        except PrivaultError as exc:
            errors.append((line, exc.message))
            continue
        if item.subject.ref in seen:
            errors.append((line, f"subject '{item.subject.ref}' appears twice in the import"))
            continue
        seen.add(item.subject.ref)
        prepared.append(item)
    return prepared, errors, len(batch), os.getpid()


def _store(
    deps: Deps,
    principal: Principal,
    prepared: list[_Prepared],
    report: ImportReport,
) -> None:
    """One transaction per batch. Optimistic: duplicates are rare, so the batch goes in unchecked and
    the unique constraints guard it; if one fires, the batch is redone checking references line by line."""
    if not prepared:
        return
    try:
        with deps.make_uow() as uow:
            uow.bind_tenant(principal.tenant_id)
            _write_new(uow, prepared, prepared[0].subject.at)
            uow.commit()
        report.imported += len(prepared)
    except Conflict:
        _store_checked(deps, principal, prepared, report)


def _store_checked(
    deps: Deps,
    principal: Principal,
    prepared: list[_Prepared],
    report: ImportReport,
) -> None:
    with deps.make_uow() as uow:
        uow.bind_tenant(principal.tenant_id)
        taken = uow.subjects.existing_refs([p.subject.ref for p in prepared])
        fresh = [p for p in prepared if p.subject.ref not in taken]
        report.errors += [
            (p.line, f"subject '{p.subject.ref}' already exists")
            for p in prepared
            if p.subject.ref in taken
        ]
        if fresh:
            _write_new(uow, fresh, fresh[0].subject.at)
        uow.commit()
    report.imported += len(fresh)


def _write_new(uow: UnitOfWork, items: Sequence[_Prepared], at: datetime) -> None:
    uow.subjects.insert_new([p.data for p in items])
    record(uow, [p.entry for p in items], at)


def _suppress_minors(deps: Deps, principal: Principal, minors: list[_Prepared]) -> None:
    """POL-MIN-1: a minor's data is suppressed from processing at once and its erasure queued."""
    if not minors:
        return
    decider, at = deps.decider, deps.clock.now()
    for item in minors:
        with deps.make_uow() as uow:
            mark_minor_by_ref(
                uow, decider, principal.tenant_key, item.subject.ref, at, principal.actor
            )


def create_subject(deps: Deps, principal: Principal, raw: object) -> str:
    """Create one subject; return its ref."""
    ctx = VaultContext(deps, principal.tenant_key, principal.tenant_id)
    at = deps.clock.now()
    item = _prepare(ctx, principal, 1, raw, at)
    with deps.make_uow() as uow:
        uow.bind_tenant(principal.tenant_id)
        if uow.subjects.existing_refs([item.subject.ref]):
            raise Conflict(f"subject '{item.subject.ref}' already exists", code="subject.exists")
        _write_new(uow, [item], at)
        uow.commit()
    _suppress_minors(deps, principal, [item] if item.minor else [])
    return item.subject.ref


def existing_refs(deps: Deps, principal: Principal, refs: Sequence[str]) -> set[str]:
    """Which of ``refs`` the principal's tenant holds already (e.g. to import a sample once)."""
    with deps.make_uow() as uow:
        uow.bind_tenant(principal.tenant_id)
        return uow.subjects.existing_refs(refs)
