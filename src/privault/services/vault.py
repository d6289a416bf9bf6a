"""The vault's use cases: import, create, read (always for a purpose), find, update, erase.

Every read and write is authorised against the principal's role (deny by default) and audited in the
same transaction. Values are encrypted with the subject's own data key before they reach storage.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from privault.core.access import Principal, Verdict, authorise
from privault.core.clock import Clock
from privault.core.jurisdictions import JURISDICTIONS
from privault.core.manifest import Manifest
from privault.core.manifest.model import Action
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.ports import UnitOfWork
from privault.core.records import FieldRecord, IdentityRecord, NewSubject, SubjectRecord
from privault.core.secrets import Secret
from privault.core.vault import (
    DATE_OF_BIRTH,
    SubjectIn,
    adult_on,
    check_collection,
    identity_category,
    identity_pairs,
    is_minor,
    parse_subject,
)
from privault.crypto.blind_index import blind_index, normalise
from privault.crypto.envelope import SubjectCipher, data_key_aad, new_data_key
from privault.crypto.keyring import Keyring
from privault.errors import Conflict, Forbidden, InvalidInput, NotFound, PrivaultError
from privault.services.audit import Entry, record

DATA_KEY_VERSION = 1
_REASON = re.compile(r"^[A-Za-z0-9_.:\-]{0,64}$")


@dataclass(frozen=True, slots=True)
class Vault:
    """What the vault's use cases need besides a unit of work."""

    manifest: Manifest
    keyring: Keyring
    clock: Clock


@dataclass(frozen=True, slots=True)
class FieldValue:
    """A decrypted value with its provenance; the value is masked until revealed."""

    value: Secret[Any]
    category: str
    source: str
    purpose: str
    collected_at: datetime


@dataclass(frozen=True, slots=True)
class Withheld:
    """A value the caller may not see, and the rule that says so (never the value)."""

    field: str
    category: str
    rule: str


@dataclass(frozen=True, slots=True)
class SubjectView:
    """What one read returned."""

    uid: str
    ref: str | None
    is_minor: bool
    identities: dict[str, list[Secret[str]]]
    data: dict[str, FieldValue]
    withheld: list[Withheld]


@dataclass
class ImportReport:
    """The outcome of an import: how many subjects went in, and each bad line with its reason."""

    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Prepared:
    line: int
    subject: NewSubject
    identities: list[tuple[str, str, bytes]]  # kind, blind index, ciphertext
    fields: list[tuple[str, bytes]]  # field, ciphertext
    item: SubjectIn


class _Context:
    """Per-call helpers: the tenant's view, its phone region and cached index keys and verdicts."""

    def __init__(self, vault: Vault, tenant_key: str, tenant_id: int) -> None:
        self.vault, self.tenant_key, self.tenant_id = vault, tenant_key, tenant_id
        self.view: TenantView = tenant_view(vault.manifest, tenant_key)
        default = self.view.tenant.default_jurisdiction
        self.region = JURISDICTIONS[default].phone_region if default else None
        self._index_keys: dict[str, bytes] = {}
        self._verdicts: dict[tuple[str, Action, str, str], Verdict] = {}

    def index(self, kind: str, value: str) -> str:
        key = self._index_keys.get(kind)
        if key is None:
            key = self._index_keys[kind] = self.vault.keyring.index_key(self.tenant_key, kind)
        return blind_index(key, normalise(kind, value, self.region))

    def verdict(self, principal: Principal, action: Action, purpose: str, category: str) -> Verdict:
        key = (principal.role, action, purpose, category)
        cached = self._verdicts.get(key)
        if cached is None:
            cached = self._verdicts[key] = authorise(
                self.view, principal.role, action, purpose, category
            )
        return cached

    def require(
        self, principal: Principal, action: Action, purpose: str, categories: Iterable[str]
    ) -> None:
        for category in categories:
            verdict = self.verdict(principal, action, purpose, category)
            if not verdict.allowed:
                raise Forbidden(verdict.rule, code="access.denied")

    def cipher(self, subject: SubjectRecord) -> SubjectCipher:
        if subject.wrapped_key is None:
            raise NotFound("the subject was erased", code="subject.unknown")
        aad = data_key_aad(self.tenant_id, subject.uid, subject.key_version)
        key = self.vault.keyring.unwrap(
            self.tenant_key, subject.kek_version, subject.wrapped_key, aad
        )
        return SubjectCipher(key, self.tenant_id, subject.uid, subject.key_version)

    def today(self) -> date:
        return self.vault.clock.now().date()


def _prepare(
    ctx: _Context, principal: Principal, line: int, raw: object, at: datetime
) -> _Prepared:
    item = parse_subject(raw)
    pairs = identity_pairs(item.identities)
    check_collection(ctx.view, item.source, item.purpose, list(item.data))
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
    fields = [(name, cipher.seal_value(name, value)) for name, value in item.data.items()]
    dob = item.data.get(DATE_OF_BIRTH)
    adult = adult_on(dob, ctx.view.policy.minor_age) if dob is not None else None
    subject = NewSubject(
        uid, item.subject or f"sub_{uid[:20]}", DATA_KEY_VERSION, version, wrapped, adult, at
    )
    return _Prepared(line, subject, identities, fields, item)


def import_subjects(
    make_uow: Callable[[], UnitOfWork],
    vault: Vault,
    principal: Principal,
    lines: Iterable[tuple[int, object]],
    *,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import subjects; a bad line is reported with its number and the rest still import.

    Each subject is all-or-nothing: it is validated and encrypted completely before anything is written.
    """
    report = ImportReport()
    ctx = _Context(vault, principal.tenant_key, principal.tenant_id)
    batch: list[tuple[int, object]] = []
    for item in lines:
        batch.append(item)
        if len(batch) >= batch_size:
            _import_batch(make_uow, ctx, principal, batch, report, progress)
            batch = []
    if batch:
        _import_batch(make_uow, ctx, principal, batch, report, progress)
    return report


def _import_batch(
    make_uow: Callable[[], UnitOfWork],
    ctx: _Context,
    principal: Principal,
    batch: Sequence[tuple[int, object]],
    report: ImportReport,
    progress: Callable[[int], None] | None,
) -> None:
    at = ctx.vault.clock.now()
    prepared: list[_Prepared] = []
    seen: set[str] = set()
    for line, raw in batch:
        try:
            item = _prepare(ctx, principal, line, raw, at)
        except PrivaultError as exc:
            report.errors.append((line, exc.message))
            continue
        if item.subject.ref in seen:
            report.errors.append(
                (line, f"subject '{item.subject.ref}' appears twice in the import")
            )
            continue
        seen.add(item.subject.ref)
        prepared.append(item)
    with make_uow() as uow:
        uow.bind_tenant(ctx.tenant_id)
        taken = uow.subjects.existing_refs([p.subject.ref for p in prepared])
        for item in (p for p in prepared if p.subject.ref in taken):
            report.errors.append((item.line, f"subject '{item.subject.ref}' already exists"))
        fresh = [p for p in prepared if p.subject.ref not in taken]
        _write_new(uow, fresh, principal, at)
        uow.commit()
    report.imported += len(fresh)
    if progress is not None:
        progress(len(batch))


def _write_new(
    uow: UnitOfWork, items: Sequence[_Prepared], principal: Principal, at: datetime
) -> None:
    ids = uow.subjects.insert_many([p.subject for p in items])
    identities, fields = [], []
    for subject_id, item in zip(ids, items, strict=True):
        identities += [
            IdentityRecord(subject_id, kind, index, blob) for kind, index, blob in item.identities
        ]
        fields += [
            FieldRecord(subject_id, name, name, item.item.source, item.item.purpose, at, at, blob)
            for name, blob in item.fields
        ]
    uow.subjects.add_identities([], identities, at)
    uow.subjects.put_fields(fields, replace=False)
    record(uow, [_created_entry(principal, p) for p in items], at)


def _created_entry(principal: Principal, item: _Prepared) -> Entry:
    details = {
        "fields": sorted(name for name, _ in item.fields),
        "identities": sorted({kind for kind, _, _ in item.identities}),
        "source": item.item.source,
    }
    return Entry(
        principal.actor, "vault:subject:create", item.subject.uid, item.item.purpose, "ok", details
    )


def create_subject(
    make_uow: Callable[[], UnitOfWork], vault: Vault, principal: Principal, raw: object
) -> str:
    """Create one subject; return its ref."""
    ctx = _Context(vault, principal.tenant_key, principal.tenant_id)
    at = vault.clock.now()
    item = _prepare(ctx, principal, 1, raw, at)
    with make_uow() as uow:
        uow.bind_tenant(principal.tenant_id)
        if uow.subjects.existing_refs([item.subject.ref]):
            raise Conflict(f"subject '{item.subject.ref}' already exists", code="subject.exists")
        _write_new(uow, [item], principal, at)
        uow.commit()
    return item.subject.ref


def read_subjects(
    uow: UnitOfWork, vault: Vault, principal: Principal, subject_ids: Sequence[int], purpose: str
) -> list[SubjectView]:
    """Read subjects for ``purpose``: what the role may see, each withheld value with its rule.

    One audit event per subject, committed even when the read is denied. If nothing at all may be
    read, Forbidden is raised (after the audit events are stored) naming the rule.
    """
    ctx = _Context(vault, principal.tenant_key, principal.tenant_id)
    if ctx.view.purpose(purpose) is None:
        raise NotFound(
            f"tenant '{ctx.tenant_key}' has no purpose '{purpose}'", code="purpose.unknown"
        )
    uow.bind_tenant(principal.tenant_id)
    subjects = [s for s in uow.subjects.get_many(subject_ids) if s.wrapped_key is not None]
    ids = [s.id for s in subjects]
    fields_by: dict[int, list[FieldRecord]] = {}
    for f in uow.subjects.fields(ids):
        fields_by.setdefault(f.subject_id, []).append(f)
    identities_by: dict[int, list[IdentityRecord]] = {}
    for i in uow.subjects.identities(ids):
        identities_by.setdefault(i.subject_id, []).append(i)
    views = [
        _view(ctx, principal, s, purpose, fields_by.get(s.id, []), identities_by.get(s.id, []))
        for s in subjects
    ]
    record(uow, [_read_entry(principal, v, purpose) for v in views], vault.clock.now())
    uow.commit()
    if views and all(not v.data and not v.identities for v in views):
        raise Forbidden(
            views[0].withheld[0].rule if views[0].withheld else "deny by default",
            code="access.denied",
        )
    return views


def _view(
    ctx: _Context,
    principal: Principal,
    subject: SubjectRecord,
    purpose: str,
    fields: list[FieldRecord],
    identities: list[IdentityRecord],
) -> SubjectView:
    cipher = ctx.cipher(subject)
    data: dict[str, FieldValue] = {}
    withheld: list[Withheld] = []
    for f in sorted(fields, key=lambda f: f.field):
        rule = _read_rule(ctx, principal, purpose, f.category, f.purpose)
        if rule is not None:
            withheld.append(Withheld(f.field, f.category, rule))
            continue
        data[f.field] = FieldValue(
            cipher.open_value(f.field, f.ciphertext),
            f.category,
            f.source,
            f.purpose,
            f.collected_at,
        )
    shown: dict[str, list[Secret[str]]] = {}
    for i in identities:
        category = identity_category(i.kind)
        rule = _read_rule(ctx, principal, purpose, category, None)
        if rule is not None:
            withheld.append(Withheld(f"identity:{i.kind}", category, rule))
            continue
        shown.setdefault(i.kind, []).append(cipher.open_value(f"identity:{i.kind}", i.ciphertext))
    return SubjectView(
        subject.uid, subject.ref, is_minor(subject.adult_on, ctx.today()), shown, data, withheld
    )


def _read_rule(
    ctx: _Context, principal: Principal, purpose: str, category: str, collected_for: str | None
) -> str | None:
    """None if the value may be read; otherwise the rule that withholds it."""
    if collected_for is not None and collected_for != purpose:
        original = ctx.view.purpose(collected_for)
        if original is not None and original.exclusive:
            return f"purpose limitation: collected for '{collected_for}' and usable for that purpose only"
    verdict = ctx.verdict(principal, Action.READ, purpose, category)
    return None if verdict.allowed else verdict.rule


def _read_entry(principal: Principal, view: SubjectView, purpose: str) -> Entry:
    shown = sorted(view.data) + sorted(f"identity:{k}" for k in view.identities)
    outcome = "ok" if not view.withheld else ("partial" if shown else "denied")
    details = {"fields": shown, "withheld": sorted(w.field for w in view.withheld)}
    return Entry(principal.actor, "vault:subject:read", view.uid, purpose, outcome, details)


def find_subjects(
    uow: UnitOfWork,
    vault: Vault,
    principal: Principal,
    kind: str,
    values: Sequence[str],
    purpose: str,
) -> list[SubjectView]:
    """Look subjects up by identity (blind index, no decryption to search) and read them for ``purpose``."""
    ctx = _Context(vault, principal.tenant_key, principal.tenant_id)
    indexes = [ctx.index(kind, v) for v in values]
    uow.bind_tenant(principal.tenant_id)
    ids = sorted({subject_id for _, subject_id in uow.subjects.find(kind, indexes)})
    return read_subjects(uow, vault, principal, ids, purpose) if ids else []


def _subject(uow: UnitOfWork, principal: Principal, ref: str) -> SubjectRecord:
    uow.bind_tenant(principal.tenant_id)
    subject = uow.subjects.get_by_ref(ref)
    if subject is None or subject.wrapped_key is None:
        raise NotFound(f"no subject '{ref}'", code="subject.unknown")
    return subject


def show_subject(
    uow: UnitOfWork, vault: Vault, principal: Principal, ref: str, purpose: str
) -> SubjectView:
    """Read one subject by its ref for ``purpose``."""
    subject = _subject(uow, principal, ref)
    return read_subjects(uow, vault, principal, [subject.id], purpose)[0]


def update_subject(
    uow: UnitOfWork, vault: Vault, principal: Principal, ref: str, raw: object
) -> list[str]:
    """Write fields and add identities (``{"data", "identities", "source", "purpose"}``); return the fields."""
    ctx = _Context(vault, principal.tenant_key, principal.tenant_id)
    item = parse_subject(raw)
    pairs = identity_pairs(item.identities)
    check_collection(ctx.view, item.source, item.purpose, list(item.data))
    ctx.require(
        principal,
        Action.WRITE,
        item.purpose,
        [*item.data, *(identity_category(k) for k, _ in pairs)],
    )
    subject = _subject(uow, principal, ref)
    cipher, at = ctx.cipher(subject), vault.clock.now()
    uow.subjects.put_fields(
        [
            FieldRecord(
                subject.id,
                name,
                name,
                item.source,
                item.purpose,
                at,
                at,
                cipher.seal_value(name, value),
            )
            for name, value in item.data.items()
        ]
    )
    uow.subjects.add_identities(
        [subject.id],
        [
            IdentityRecord(subject.id, k, ctx.index(k, v), cipher.seal_value(f"identity:{k}", v))
            for k, v in pairs
        ],
        at,
    )
    if DATE_OF_BIRTH in item.data:
        uow.subjects.set_adult_on(
            subject.id, adult_on(item.data[DATE_OF_BIRTH], ctx.view.policy.minor_age), at
        )
    details = {
        "fields": sorted(item.data),
        "identities": sorted({k for k, _ in pairs}),
        "source": item.source,
    }
    record(
        uow,
        [Entry(principal.actor, "vault:subject:update", subject.uid, item.purpose, "ok", details)],
        at,
    )
    uow.commit()
    return sorted(item.data)


@dataclass(frozen=True, slots=True)
class Erased:
    """What an erasure removed."""

    uid: str
    fields: int
    identities: int


def erase_subject(
    uow: UnitOfWork, vault: Vault, principal: Principal, ref: str, purpose: str, reason: str = ""
) -> Erased:
    """Delete the subject's values and identities and destroy its data key (crypto-shredding).

    ``reason`` is a short code or reference (e.g. ``request:42``), never free text: it is audited.
    """
    if not _REASON.match(reason):
        raise InvalidInput(
            "an erasure reason is a short code such as 'request:42' (letters, digits, _.:-)"
        )
    ctx = _Context(vault, principal.tenant_key, principal.tenant_id)
    subject = _subject(uow, principal, ref)
    categories = {f.category for f in uow.subjects.fields([subject.id])}
    categories |= {identity_category(i.kind) for i in uow.subjects.identities([subject.id])}
    at = vault.clock.now()
    for category in sorted(categories):
        verdict = ctx.verdict(principal, Action.ERASE, purpose, category)
        if not verdict.allowed:
            denied = Entry(
                principal.actor,
                "vault:subject:erase",
                subject.uid,
                purpose,
                "denied",
                {"category": category},
            )
            record(uow, [denied], at)
            uow.commit()
            raise Forbidden(verdict.rule, code="access.denied")
    fields, identities = uow.subjects.erase(subject.id, at)
    details = {"fields": fields, "identities": identities, "reason": reason, "key": "destroyed"}
    record(
        uow,
        [Entry(principal.actor, "vault:subject:erase", subject.uid, purpose, "ok", details)],
        at,
    )
    uow.commit()
    return Erased(subject.uid, fields, identities)
