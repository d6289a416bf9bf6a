"""The vault's use cases: import, create, read (always for a purpose), find, update, erase.

Every read and write is authorised against the principal's role (deny by default) and audited in the
same transaction. Values are encrypted with the subject's own data key before they reach storage. A
read shows card, bank-account, government and medical ID numbers by their last four characters, and
passwords, credentials, security answers and biometric data as ``[withheld]``, unless the role's grant
lists them under ``full_values``; such a whole read is audited (``vault:field:read``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from privault.core.access import Principal, Verdict, authorise, full_value
from privault.core.assessments import DPIA_RULE, unassessed, unassessed_message
from privault.core.audit import to_micros
from privault.core.children import is_teen, teen_years
from privault.core.clock import Clock
from privault.core.consent import load_state
from privault.core.decisions import Facts, evaluate
from privault.core.display import Display, as_shown, category_display
from privault.core.identities import normalise
from privault.core.manifest import Manifest
from privault.core.manifest.model import Action, LawfulBasis
from privault.core.manifest.resolve import TenantView
from privault.core.notice_review import RECONSENT_RULE, Mark, predates, stale_consent
from privault.core.ports import UnitOfWork
from privault.core.records import FieldRecord, IdentityRecord, SubjectRecord
from privault.core.retention import check_child_collection
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
from privault.crypto.blind_index import blind_index
from privault.crypto.envelope import SubjectCipher
from privault.crypto.keyring import Keyring
from privault.crypto.subjects import subject_cipher
from privault.errors import Forbidden, InvalidInput, NotFound
from privault.services.audit import Entry, record
from privault.services.cpni_alerts import Write, account_change, send_alert
from privault.services.decisions import Decider
from privault.services.deps import Deps
from privault.services.legal_holds import refuse_if_held, refuse_if_kept_by_law
from privault.services.retention_subjects import mark_minor_by_ref
from privault.services.visits import forget_subject_visits

DATA_KEY_VERSION = 1
_REASON = re.compile(r"^[A-Za-z0-9_.:\-]{0,64}$")


@dataclass(frozen=True, slots=True)
class FieldValue:
    """A decrypted value with its provenance; the value is masked until revealed.

    ``shown`` says whether the value is whole or only its display form (``core/display.py``): by its
    last four (``****1001``, a card, bank-account, government or medical ID number) or withheld
    (``[withheld]``, a password, credential, security answer or biometric data) when the role has no
    ``full_values`` grant for it.
    """

    value: Secret[Any]
    category: str
    source: str
    purpose: str
    collected_at: datetime
    shown: Display = Display.WHOLE

    @property
    def last_four(self) -> bool:
        """The value is shown by its last four characters only."""
        return self.shown is Display.LAST_FOUR

    @property
    def withheld(self) -> bool:
        """The value is shown as ``[withheld]`` only."""
        return self.shown is Display.WITHHELD


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
    full: dict[str, str] = field(default_factory=dict)  # field read whole -> the grant allowing it


class VaultDeps(Protocol):
    """What a :class:`VaultContext` reads: ``Deps`` has it; an import's worker processes get only
    this (``services.vault_import``: no engine or connector pools to pickle)."""

    @property
    def manifest(self) -> Manifest: ...
    @property
    def decider(self) -> Decider: ...
    @property
    def keyring(self) -> Keyring: ...
    @property
    def clock(self) -> Clock: ...


class VaultContext:
    """Per-call helpers: the tenant's view, its phone region and cached index keys and verdicts."""

    def __init__(self, deps: VaultDeps, tenant_key: str, tenant_id: int) -> None:
        self.vault, self.tenant_key, self.tenant_id = deps, tenant_key, tenant_id
        self.view: TenantView = deps.decider.view(tenant_key)  # resolved once per manifest
        self.region = self.view.phone_region
        self.decider = deps.decider
        self._index_keys: dict[str, bytes] = {}
        self._collectable: set[tuple[str, str, frozenset[str]]] = set()
        memo = deps.decider.access_memo(tenant_key)  # kept while the manifest stands
        self._read_rules = memo.read_rules
        self._verdicts = memo.verdicts
        self._whole = memo.whole

    def index(self, kind: str, value: str) -> str:
        key = self._index_keys.get(kind)
        if key is None:
            key = self._index_keys[kind] = self.vault.keyring.index_key(self.tenant_key, kind)
        return blind_index(key, normalise(kind, value, self.region))

    def check_collection(self, source: str, purpose: str, fields: list[str]) -> None:
        """The manifest's collection rules, remembered per (source, purpose, fields) once they pass."""
        key = (source, purpose, frozenset(fields))
        if key not in self._collectable:
            check_collection(self.view, source, purpose, fields)
            self._collectable.add(key)

    def verdict(self, principal: Principal, action: Action, purpose: str, category: str) -> Verdict:
        key = (principal.role, action, purpose, category)
        cached = self._verdicts.get(key)
        if cached is None:
            cached = self._verdicts[key] = authorise(
                self.view, principal.role, action, purpose, category
            )
        return cached

    def whole(
        self, principal: Principal, purpose: str, category: str
    ) -> tuple[Display, Verdict | None]:
        """How ``category`` is shown (``core/display.py``) and, unless always whole, whether the
        role may read it whole."""
        key = (principal.role, purpose, category)
        if key not in self._whole:
            display = category_display(self.vault.manifest, category)
            verdict = (
                None
                if display is Display.WHOLE
                else full_value(self.view, principal.role, purpose, category)
            )
            self._whole[key] = (display, verdict)
        return self._whole[key]

    def require(
        self, principal: Principal, action: Action, purpose: str, categories: Iterable[str]
    ) -> None:
        for category in categories:
            verdict = self.verdict(principal, action, purpose, category)
            if not verdict.allowed:
                raise Forbidden(verdict.rule, code="access.denied")

    def cipher(self, subject: SubjectRecord) -> SubjectCipher:
        return subject_cipher(self.vault.keyring, self.tenant_key, self.tenant_id, subject)

    def today(self) -> date:
        return self.vault.clock.now().date()


def read_subjects(
    uow: UnitOfWork, deps: Deps, principal: Principal, subject_ids: Sequence[int], purpose: str
) -> list[SubjectView]:
    """Read subjects for ``purpose`` in ``uow`` (a step: lookups and calls compose it), then commit:
    what the role may see, each withheld value with its rule.

    One audit event per subject, committed before anything is returned, even when the read is
    denied. If nothing at all may be read, Forbidden is raised (after the audit events are stored)
    naming the rule. Started outside a transaction, the reads take no write lock (``uow.reading``);
    only the audit events are written.
    """
    with uow.reading():
        views = _views(uow, deps, principal, subject_ids, purpose)
    return _audited(uow, deps, principal, views, purpose)


def _views(
    uow: UnitOfWork, deps: Deps, principal: Principal, subject_ids: Sequence[int], purpose: str
) -> list[SubjectView]:
    """What the role may see of each subject for ``purpose`` (reads only)."""
    ctx = VaultContext(deps, principal.tenant_key, principal.tenant_id)
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
    states = uow.consent.states([f"s:{i}" for i in ids])
    at_us = to_micros(deps.clock.now())
    unassessed = _unassessed(uow, ctx, purpose)
    mark = _reconsent(uow, ctx, purpose)
    return [
        _view(
            ctx,
            principal,
            s,
            purpose,
            fields_by.get(s.id, []),
            identities_by.get(s.id, []),
            unassessed
            or _consent_denials(ctx, s, purpose, fields_by.get(s.id, []), states, at_us, mark),
        )
        for s in subjects
    ]


def _audited(
    uow: UnitOfWork, deps: Deps, principal: Principal, views: list[SubjectView], purpose: str
) -> list[SubjectView]:
    """Store the reads' audit events, then hand the views over (or Forbidden if nothing at all
    may be read)."""
    entries = [e for v in views for e in _read_entries(principal, v, purpose)]
    record(uow, entries, deps.clock.now())
    uow.commit()
    if views and all(v.withheld and not v.data and not v.identities for v in views):
        raise Forbidden(views[0].withheld[0].rule, code="access.denied")
    return views


def _reconsent(uow: UnitOfWork, ctx: VaultContext, purpose: str) -> Mark | None:
    """CCPA-PP-1: since when a consent to a consent-based purpose must date to count."""
    declared = ctx.view.purpose(purpose)
    if declared is None or declared.lawful_basis is not LawfulBasis.CONSENT:
        return None
    return ctx.decider.reconsent_mark(uow, ctx.tenant_key, purpose, ctx.today())


def _unassessed(uow: UnitOfWork, ctx: VaultContext, purpose: str) -> dict[str | None, str]:
    """GDPR-DPIA-1: a purpose still without its approved assessment withholds everything."""
    declared = ctx.view.purpose(purpose)
    if declared is None or not declared.requires_dpia:
        return {}
    if unassessed([purpose], uow.dpias.all(), ctx.today()):
        return {None: f"{DPIA_RULE}: {unassessed_message(purpose)}"}
    return {}


def _consent_denials(
    ctx: VaultContext,
    subject: SubjectRecord,
    purpose: str,
    fields: list[FieldRecord],
    states: dict[str, tuple[str, int | None]],
    at_us: int,
    mark: Mark | None = None,
) -> dict[str | None, str]:
    """What the processing decision withholds: {category: rule}, and {None: rule} for everything.
    ``mark``: consents to the purpose recorded before it do not count (CCPA-PP-1).

    Role grants and purpose limitation are the vault's own rules (per field); here the decision adds
    consent, objections, restriction, minors, special-category and CPNI rules.
    """
    categories = tuple(sorted({f.category for f in fields}))
    plan = ctx.decider.plan(ctx.tenant_key, purpose, categories, None)
    state = states.get(f"s:{subject.id}")
    today, policy = ctx.today(), ctx.view.policy
    years = teen_years(policy.minor_age, policy.sale_opt_in_age)
    facts = Facts(
        True,
        is_minor(subject.adult_on, today),
        load_state(state[0] if state else None),
        teen=is_teen(subject.adult_on, today, years),
    )
    decision = evaluate(plan, facts, at_us)
    if mark is not None and decision.allowed and predates(facts.state, plan.consent_topics, mark):
        decision = stale_consent(
            decision, purpose, mark, plan.labels.get(RECONSENT_RULE, RECONSENT_RULE)
        )
    denials: dict[str | None, str] = {}
    for reason in decision.reasons:
        if not reason.allowed and reason.rule != "PURPOSE-LIMIT":
            denials.setdefault(reason.category, f"{reason.rule}: {reason.message}")
    return denials


def _view(
    ctx: VaultContext,
    principal: Principal,
    subject: SubjectRecord,
    purpose: str,
    fields: list[FieldRecord],
    identities: list[IdentityRecord],
    denials: dict[str | None, str],
) -> SubjectView:
    cipher = ctx.cipher(subject)
    data: dict[str, FieldValue] = {}
    withheld: list[Withheld] = []
    full: dict[str, str] = {}
    everything = denials.get(None)
    for f in sorted(fields, key=lambda f: f.field):
        rule = (
            everything
            or denials.get(f.category)
            or _read_rule(ctx, principal, purpose, f.category, f.purpose)
        )
        if rule is not None:
            withheld.append(Withheld(f.field, f.category, rule))
            continue
        opened = cipher.open_value(f.field, f.ciphertext)
        value, display = _shown(ctx, principal, purpose, f.category, f.field, opened, full)
        data[f.field] = FieldValue(
            value,
            f.category,
            f.source,
            f.purpose,
            f.collected_at,
            display,
        )
    shown: dict[str, list[Secret[str]]] = {}
    for i in identities:
        category = identity_category(i.kind)
        rule = everything or _read_rule(ctx, principal, purpose, category, None)
        if rule is not None:
            withheld.append(Withheld(f"identity:{i.kind}", category, rule))
            continue
        name = f"identity:{i.kind}"
        opened = cipher.open_value(name, i.ciphertext)
        shown.setdefault(i.kind, []).append(
            _shown(ctx, principal, purpose, category, name, opened, full)[0]
        )
    minor = is_minor(subject.adult_on, ctx.today())
    return SubjectView(subject.uid, subject.ref, minor, shown, data, withheld, full)


def _shown(
    ctx: VaultContext,
    principal: Principal,
    purpose: str,
    category: str,
    name: str,
    value: Secret[Any],
    full: dict[str, str],
) -> tuple[Secret[Any], Display]:
    """A readable value as the role may see it (whole, by its last four or withheld), and how. A
    value of a category not shown whole by default, read whole, is noted in ``full`` with its grant."""
    display, verdict = ctx.whole(principal, purpose, category)
    if verdict is None:
        return value, Display.WHOLE
    if verdict.allowed:
        full[name] = verdict.rule
        return value, Display.WHOLE
    return Secret(as_shown(value.reveal(), display)), display


def _read_rule(
    ctx: VaultContext, principal: Principal, purpose: str, category: str, collected_for: str | None
) -> str | None:
    """None if the value may be read; otherwise the rule that withholds it (remembered per call)."""
    key = (principal.role, purpose, category, collected_for)
    if key not in ctx._read_rules:
        ctx._read_rules[key] = _decide_read(ctx, principal, purpose, category, collected_for)
    return ctx._read_rules[key]


def _decide_read(
    ctx: VaultContext, principal: Principal, purpose: str, category: str, collected_for: str | None
) -> str | None:
    if collected_for is not None and collected_for != purpose:
        original = ctx.view.purpose(collected_for)
        if original is not None and original.exclusive:
            return f"purpose limitation: collected for '{collected_for}' and usable for that purpose only"
    verdict = ctx.verdict(principal, Action.READ, purpose, category)
    return None if verdict.allowed else verdict.rule


def _read_entries(principal: Principal, view: SubjectView, purpose: str) -> list[Entry]:
    """The read (``vault:subject:read``), and the values read whole (``vault:field:read``)."""
    shown = sorted(view.data) + sorted(f"identity:{k}" for k in view.identities)
    outcome = "ok" if not view.withheld else ("partial" if shown else "denied")
    details = {"fields": shown, "withheld": sorted(w.field for w in view.withheld)}
    entries = [Entry(principal.actor, "vault:subject:read", view.uid, purpose, outcome, details)]
    if view.full:
        grants = sorted({rule.removeprefix("allow: ") for rule in view.full.values()})
        whole = {"fields": sorted(view.full), "grants": grants}
        entries.append(Entry(principal.actor, "vault:field:read", view.uid, purpose, "ok", whole))
    return entries


def find_subjects(
    deps: Deps, principal: Principal, kind: str, values: Sequence[str], purpose: str
) -> list[SubjectView]:
    """Look subjects up by identity (blind index, no decryption to search) and read them for ``purpose``."""
    ctx = VaultContext(deps, principal.tenant_key, principal.tenant_id)
    indexes = [ctx.index(kind, v) for v in values]
    with deps.make_uow() as uow:
        uow.bind_tenant(principal.tenant_id)
        with uow.reading():  # no write lock until the audit events
            ids = sorted({subject_id for _, subject_id in uow.subjects.find(kind, indexes)})
            views = _views(uow, deps, principal, ids, purpose) if ids else []
        return _audited(uow, deps, principal, views, purpose) if ids else []


def _subject(uow: UnitOfWork, principal: Principal, ref: str) -> SubjectRecord:
    uow.bind_tenant(principal.tenant_id)
    subject = uow.subjects.get_by_ref(ref)
    if subject is None or subject.wrapped_key is None:
        raise NotFound(f"no subject '{ref}'", code="subject.unknown")
    return subject


def show_subject(deps: Deps, principal: Principal, ref: str, purpose: str) -> SubjectView:
    """Read one subject by its ref for ``purpose``."""
    with deps.make_uow() as uow:
        subject = _subject(uow, principal, ref)
        return read_subjects(uow, deps, principal, [subject.id], purpose)[0]


def update_subject(deps: Deps, principal: Principal, ref: str, raw: object) -> list[str]:
    """Write fields and add identities (``{"data", "identities", "source", "purpose"}``); return the fields."""
    ctx = VaultContext(deps, principal.tenant_key, principal.tenant_id)
    item = parse_subject(raw)
    pairs = identity_pairs(item.identities)
    check_collection(ctx.view, item.source, item.purpose, list(item.data))
    check_child_collection(
        ctx.view, item.data, item.parental_consent is not None, deps.clock.now().date()
    )
    ctx.require(
        principal,
        Action.WRITE,
        item.purpose,
        [*item.data, *(identity_category(k) for k, _ in pairs)],
    )
    with deps.make_uow() as uow:
        subject = _subject(uow, principal, ref)
        cipher, at = ctx.cipher(subject), deps.clock.now()
        write = Write(item.data, pairs)  # FCC-AUTH-2: decided before the values change
        alert = account_change(
            uow, deps.manifest, ctx.view, cipher, subject, write, principal.actor, at
        )
        _write(uow, ctx, cipher, subject.id, item, pairs, at)
        record(uow, [_update_entry(principal, subject.uid, item, pairs)], at)
        uow.commit()
        send_alert(deps.messenger, alert)
        if DATE_OF_BIRTH in item.data:  # POL-MIN-1: a minor found now is suppressed at once
            mark_minor_by_ref(uow, ctx.decider, ctx.tenant_key, ref, at, principal.actor)
    return sorted(item.data)


def _update_entry(
    principal: Principal, uid: str, item: SubjectIn, pairs: list[tuple[str, str]]
) -> Entry:
    """The audit entry of an update: the fields and identity kinds written, never the values."""
    identities = sorted({k for k, _ in pairs})
    details = {"fields": sorted(item.data), "identities": identities, "source": item.source}
    return Entry(principal.actor, "vault:subject:update", uid, item.purpose, "ok", details)


def _write(
    uow: UnitOfWork,
    ctx: VaultContext,
    cipher: SubjectCipher,
    subject_id: int,
    item: SubjectIn,
    pairs: list[tuple[str, str]],
    at: datetime,
) -> None:
    """Store the item's values and identities, sealed with the subject's key."""
    uow.subjects.put_fields(
        [
            FieldRecord(
                subject_id,
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
        [subject_id],
        [
            IdentityRecord(subject_id, k, ctx.index(k, v), cipher.seal_value(f"identity:{k}", v))
            for k, v in pairs
        ],
        at,
    )
    exclusive = [p.key for p in ctx.view.purposes if p.exclusive]
    if exclusive:
        uow.subjects.refresh_exclusive(subject_id, exclusive, at)
    if DATE_OF_BIRTH in item.data:
        uow.subjects.set_adult_on(
            subject_id, adult_on(item.data[DATE_OF_BIRTH], ctx.view.policy.minor_age), at
        )


@dataclass(frozen=True, slots=True)
class Erased:
    """What an erasure removed."""

    uid: str
    fields: int
    identities: int


def erase_subject(
    deps: Deps, principal: Principal, ref: str, purpose: str, reason: str = ""
) -> Erased:
    """Delete the subject's values and identities and destroy its data key (crypto-shredding).

    ``reason`` is a short code or reference (e.g. ``request:42``), never free text: it is audited.
    """
    if not _REASON.match(reason):
        raise InvalidInput(
            "an erasure reason is a short code such as 'request:42' (letters, digits, _.:-)"
        )
    ctx = VaultContext(deps, principal.tenant_key, principal.tenant_id)
    with deps.make_uow() as uow:
        subject = _subject(uow, principal, ref)
        categories = {f.category for f in uow.subjects.fields([subject.id])}
        categories |= {identity_category(i.kind) for i in uow.subjects.identities([subject.id])}
        at = deps.clock.now()
        _require_erase(uow, ctx, principal, subject.uid, purpose, categories, at)
        refuse_if_held(uow, subject.id, sorted(categories), at.date())
        refuse_if_kept_by_law(uow, deps.manifest, principal.tenant_key, subject, at.date())
        fields, identities = uow.subjects.erase(subject.id, at)
        forget_subject_visits(uow, [subject.id])
        details = {"fields": fields, "identities": identities, "reason": reason, "key": "destroyed"}
        entry = Entry(principal.actor, "vault:subject:erase", subject.uid, purpose, "ok", details)
        record(uow, [entry], at)
        uow.commit()
    return Erased(subject.uid, fields, identities)


def _require_erase(
    uow: UnitOfWork,
    ctx: VaultContext,
    principal: Principal,
    uid: str,
    purpose: str,
    categories: set[str],
    at: datetime,
) -> None:
    """Forbidden, with the denial audited and committed, if the role may not erase a category."""
    for category in sorted(categories):
        verdict = ctx.verdict(principal, Action.ERASE, purpose, category)
        if not verdict.allowed:
            details = {"category": category}
            denied = Entry(principal.actor, "vault:subject:erase", uid, purpose, "denied", details)
            record(uow, [denied], at)
            uow.commit()
            raise Forbidden(verdict.rule, code="access.denied")
