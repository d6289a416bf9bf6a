"""The audit trail's fixed vocabulary and its hash chain. Pure: storage keeps the events.

Each tenant has one chain. An event's hash covers the previous event's hash and every field of the
event, so editing, deleting, inserting or reordering events breaks the chain where it happened. Signed
checkpoints (Ed25519, key outside the database) pin the chain so a truncated tail is caught too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

GENESIS = "0" * 64

# DPDP-LOG-1: logs of access to personal data are kept for at least one year (India, DPDP Rules 2025,
# r. 6(1)(e)). privault keeps its audit trail -- every vault read and write, consent, request and
# erasure -- for ever: nothing deletes audit events (a test checks it). A deployment that sets a
# keeping period (``audit_keep_years``) can set no less than this, and ``kept_until`` gives the
# first day an event may go. Web-server (HTTP) logs are not privault's: the operator keeps them.
ACCESS_LOG_KEEP_YEARS = 1


def kept_until(event_at: datetime, keep_years: int | None) -> datetime | None:
    """The first instant an audit event may leave the log: never (None) without a keeping period,
    and never less than a year after the event, whatever the period says."""
    if keep_years is None:
        return None
    years = max(keep_years, ACCESS_LOG_KEEP_YEARS)
    try:
        return event_at.replace(year=event_at.year + years)
    except ValueError:  # 29 February: the next day (the year is then not short)
        return event_at.replace(year=event_at.year + years, month=3, day=1)


# The vocabulary: every action privault records, and what it means. docs/audit.md lists each.
ACTIONS: dict[str, str] = {
    "vault:subject:create": "A subject was created with its identities and data.",
    "vault:subject:read": "A subject's data was read (or a read was denied) for a stated purpose.",
    "vault:field:read": "Values not shown whole by default (card, bank-account, government and "
    "medical ID numbers by their last four; passwords, credentials, security answers and biometric "
    "data withheld) were read whole under a grant's full_values.",
    "vault:subject:update": "A subject's data or identities were written.",
    "vault:subject:erase": "A subject was erased: data deleted and its data key destroyed.",
    "keys:tenant:create": "The tenant's keys were created in the keyring.",
    "keys:rotate": "The key-encryption key was rotated and subject keys re-wrapped.",
    "config:manifest:apply": "The manifest was applied (tenant synchronised).",
    "config:notice:publish": "A new privacy-notice version was published.",
    "config:api_key:create": "An API key was created.",
    "config:api_key:revoke": "An API key was revoked.",
    "audit:checkpoint": "A signed checkpoint of the audit chain was taken.",
    "consent:grant": "A consent-ledger event that permits something (consent given, opt-out lifted).",
    "consent:withdraw": "A consent-ledger event that refuses something (withdrawal, opt-out, "
    "objection, restriction, GPC, unsubscribe).",
    "consent:link": "An anonymous visitor was linked to a subject.",
    "consent:rebuild": "The consent projection was recomputed from the ledger (and compared).",
    "consent:opt_in:request": "A consumer asked to opt back in to sale or sharing (step one of two, "
    "CCPA-OI-1); the confirmation is a consent:grant.",
    "decision:batch": "A batch of processing decisions was answered (counts only).",
    "suppression:export": "A suppression list was exported for a channel.",
    "request:open": "A subject request was received (type, channel, jurisdictions; no identities).",
    "request:verify": "A request's identities were verified (or a wrong code was tried).",
    "request:declare": "A requester's declaration under penalty of perjury was stored "
    "(11 CCR §7062(c); the statement's version, no name).",
    "request:transition": "A request changed state (verified, paused, resumed, extended, "
    "in progress, incomplete, completed, denied), with the reason code.",
    "request:fulfil": "A request was fulfilled: data gathered, erased, corrected or flagged "
    "across the vault and the datastores (counts, codes, no values).",
    "request:task": "A manual task of a request was opened, done or cancelled.",
    "request:search_scope": "The search scope of an access request was recorded: the systems "
    "searched, and those left out with the reason (UK GDPR Art. 15(1A)).",
    "request:download": "An access or portability package was downloaded.",
    "request:purge": "Request records past their keeping period were deleted.",
    "datastore:change": "A datastore was added, changed or removed (credentials never logged).",
    "webhook:change": "A webhook endpoint was added or removed.",
    "retention:sweep": "A retention sweep ran: what was deleted or anonymised, per rule (counts).",
    "retention:hold": "A legal hold was placed or released (scope, reference, expiry).",
    "subject:contract_end": "A subject's contract end was recorded and its deletion scheduled.",
    "subject:minor": "A subject was found to be a minor: processing suppressed, deletion scheduled.",
    "subject:dormancy:notice": "A person inactive for almost three years was told of the erasure "
    "(DPDP Rules r. 8(2)) and it was scheduled.",
    "disclosure:make": "Personal data was disclosed to a recipient (or a disclosure was refused), "
    "with the purpose, categories and legal basis.",
    "offer:send": "A partner's offer was sent by the tenant to the subjects allowed (counts only).",
    "records:export": "The records of processing were exported.",
    "records:dpia": "An impact assessment was recorded or decided.",
    "incident:change": "An incident was opened, updated, notified or closed.",
    "staff:create": "An admin-console login was created (username, role).",
    "staff:change": "An admin-console login was changed: password set, disabled, enabled or unlocked.",
    "staff:login": "Someone signed in to the admin console, or a sign-in was refused.",
    "staff:logout": "An admin-console session ended: signed out, expired or revoked.",
    "vault:subject:lookup": "Subjects were looked up by email or phone in the admin console, for a "
    "stated purpose (how many were found; never the identity).",
    "cpni:campaign": "A marketing campaign using CPNI was logged, approved or rejected by a "
    "supervisor, or launched (47 CFR 64.2009(c), (d)).",
    "cpni:certificate": "The annual CPNI compliance certificate was generated for a calendar year "
    "(47 CFR 64.2009(e)).",
    "cpni:call_detail": "Call detail was asked for on an inbound call: whether the customer's "
    "password passed, or call detail stayed masked (47 CFR 64.2010(b)); never the password.",
    "cpni:alert": "A customer was told of a created or changed password, back-up answer, address "
    "or contact of record, at the existing contact (47 CFR 64.2010(f)); never the new value.",
}

OUTCOMES = ("ok", "denied", "failed", "partial")


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audit event as it is chained. Details hold references and counts, never values."""

    seq: int
    at_us: int
    actor: str
    action: str
    subject: str | None
    purpose: str | None
    outcome: str
    details: str  # canonical JSON
    prev_hash: str
    hash: str


def to_micros(at: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (exact on every engine)."""
    delta = at.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(at_us: int) -> datetime:
    """Inverse of :func:`to_micros`."""
    return datetime.fromtimestamp(at_us // 1_000_000, UTC).replace(microsecond=at_us % 1_000_000)


def canonical_details(details: dict[str, Any] | None) -> str:
    """Stable JSON for the details of an event."""
    return json.dumps(details or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(
    prev_hash: str,
    seq: int,
    at_us: int,
    actor: str,
    action: str,
    subject: str | None,
    purpose: str | None,
    outcome: str,
    details: str,
) -> str:
    """SHA-256 over the previous hash and every field, newline-separated (None as empty)."""
    text = f"{prev_hash}\n{seq}\n{at_us}\n{actor}\n{action}\n{subject or ''}\n{purpose or ''}\n{outcome}\n{details}"
    return sha256(text.encode("utf-8")).hexdigest()


def checkpoint_message(tenant: str, seq: int, hash_: str) -> bytes:
    """What a checkpoint signature covers."""
    return f"privault:audit-checkpoint:v1|{tenant}|{seq}|{hash_}".encode()


@dataclass(frozen=True, slots=True)
class VerifyProblem:
    """One place where the chain does not hold."""

    seq: int
    kind: str  # modified | missing | out_of_chain | head_mismatch | checkpoint_mismatch | bad_signature
    message: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The result of verifying one tenant's chain."""

    tenant: str
    events: int
    checkpoints: int
    problems: tuple[VerifyProblem, ...]

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.problems
