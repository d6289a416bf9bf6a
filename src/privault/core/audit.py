"""The audit trail's fixed vocabulary, its event MACs and its hash chain. Pure: storage keeps the events.

Each tenant has one log, built like a transparency log. An event is written with a keyed MAC over
every field (the key is outside the database) and no lock: it is tamper-evident from its commit. The
worker then seals the committed events into the tenant's hash chain, in time order: each sealed
event's hash covers the previous hash, its position and its MAC, so editing, deleting, inserting or
reordering sealed events breaks the chain where it happened. Signed checkpoints (Ed25519, key outside
the database) pin the chain, and the latest one is also kept outside the database (the witness), so
deleting checkpoints, truncating the tail or recomputing the chain is caught too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum, StrEnum
from hashlib import blake2b, sha256
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


class Affects(Enum):
    """What an audited action changes of what a processing decision reads. The decision's facts
    cache (``services/decisions.py``) replays every action that changes something."""

    NOTHING = "nothing"
    SUBJECTS = "subjects"  # a subject's facts or consent state (the event names it), or all of them
    TENANT = "tenant"  # the tenant's own inputs: impact assessments, notice re-consent marks


@dataclass(frozen=True, slots=True)
class AuditAction:
    """One action of the vocabulary: what it means, and what it changes of a decision's inputs
    (every action must say; a test compares those that change something with a reviewed list)."""

    meaning: str
    affects: Affects


# The vocabulary: every action privault records, what it means and what it changes of a decision's
# inputs. docs/audit.md lists each.
ACTIONS: dict[str, AuditAction] = {
    "vault:subject:create": AuditAction(
        "A subject was created with its identities and data.", Affects.SUBJECTS
    ),
    "vault:subject:read": AuditAction(
        "A subject's data was read (or a read was denied) for a stated purpose.", Affects.NOTHING
    ),
    "vault:field:read": AuditAction(
        "Values not shown whole by default (card, bank-account, government and "
        "medical ID numbers by their last four; passwords, credentials, security answers and biometric "
        "data withheld) were read whole under a grant's full_values.",
        Affects.NOTHING,
    ),
    "vault:subject:update": AuditAction(
        "A subject's data or identities were written.", Affects.SUBJECTS
    ),
    "vault:subject:erase": AuditAction(
        "A subject was erased: data deleted and its data key destroyed.", Affects.SUBJECTS
    ),
    "keys:tenant:create": AuditAction(
        "The tenant's keys were created in the keyring.", Affects.NOTHING
    ),
    "keys:rotate": AuditAction(
        "The key-encryption key was rotated and subject keys re-wrapped.", Affects.NOTHING
    ),
    "config:manifest:apply": AuditAction(
        "The manifest was applied (tenant synchronised).", Affects.NOTHING
    ),
    "config:notice:publish": AuditAction(
        "A new privacy-notice version was published.", Affects.TENANT
    ),
    "config:api_key:create": AuditAction("An API key was created.", Affects.NOTHING),
    "config:api_key:revoke": AuditAction("An API key was revoked.", Affects.NOTHING),
    "audit:checkpoint": AuditAction(
        "A signed checkpoint of the audit chain was taken.", Affects.NOTHING
    ),
    "audit:restore": AuditAction(
        "A restore of the database to an earlier point was accepted: the witness's checkpoint past "
        "the restored chain was set aside as evidence (its position and hash, the chain's head, "
        "the reason) and the chain witnessed anew.",
        Affects.NOTHING,
    ),
    "audit:verify": AuditAction(
        "The audit log was verified, incrementally or in full (how many events, the kinds of "
        "problem found).",
        Affects.NOTHING,
    ),
    "consent:grant": AuditAction(
        "A consent-ledger event that permits something (consent given, opt-out lifted).",
        Affects.SUBJECTS,
    ),
    "consent:withdraw": AuditAction(
        "A consent-ledger event that refuses something (withdrawal, opt-out, "
        "objection, restriction, GPC, unsubscribe).",
        Affects.SUBJECTS,
    ),
    "consent:link": AuditAction("An anonymous visitor was linked to a subject.", Affects.SUBJECTS),
    "consent:rebuild": AuditAction(
        "The consent projection was recomputed from the ledger (and compared).", Affects.SUBJECTS
    ),
    "consent:opt_in:request": AuditAction(
        "A consumer asked to opt back in to sale or sharing (step one of two, "
        "CCPA-OI-1); the confirmation is a consent:grant.",
        Affects.NOTHING,
    ),
    "decision:batch": AuditAction(
        "A batch of processing decisions was answered (counts only).", Affects.NOTHING
    ),
    "suppression:export": AuditAction(
        "A suppression list was exported for a channel.", Affects.NOTHING
    ),
    "request:open": AuditAction(
        "A subject request was received (type, channel, jurisdictions; no identities).",
        Affects.NOTHING,
    ),
    "request:verify": AuditAction(
        "A request's identities were verified (or a wrong code was tried).", Affects.NOTHING
    ),
    "request:declare": AuditAction(
        "A requester's declaration under penalty of perjury was stored "
        "(11 CCR §7062(c); the statement's version, no name).",
        Affects.NOTHING,
    ),
    "request:transition": AuditAction(
        "A request changed state (verified, paused, resumed, extended, "
        "in progress, incomplete, completed, denied), with the reason code.",
        Affects.NOTHING,
    ),
    "request:fulfil": AuditAction(
        "A request was fulfilled: data gathered, erased, corrected or flagged "
        "across the vault and the datastores (counts, codes, no values).",
        Affects.NOTHING,
    ),
    "request:task": AuditAction(
        "A manual task of a request was opened, done or cancelled.", Affects.NOTHING
    ),
    "request:search_scope": AuditAction(
        "The search scope of an access request was recorded: the systems "
        "searched, and those left out with the reason (UK GDPR Art. 15(1A)).",
        Affects.NOTHING,
    ),
    "request:download": AuditAction(
        "An access or portability package was downloaded.", Affects.NOTHING
    ),
    "request:purge": AuditAction(
        "Request records past their keeping period were deleted.", Affects.NOTHING
    ),
    "datastore:change": AuditAction(
        "A datastore was added, changed or removed (credentials never logged).", Affects.NOTHING
    ),
    "webhook:change": AuditAction("A webhook endpoint was added or removed.", Affects.NOTHING),
    "job:queue": AuditAction(
        "A background job was queued by hand (privault jobs run): its id and kind.", Affects.NOTHING
    ),
    "retention:sweep": AuditAction(
        "A retention sweep ran: what was deleted or anonymised, per rule (counts).", Affects.NOTHING
    ),
    "retention:hold": AuditAction(
        "A legal hold was placed or released (scope, reference, expiry).", Affects.NOTHING
    ),
    "subject:contract_end": AuditAction(
        "A subject's contract end was recorded and its deletion scheduled.", Affects.NOTHING
    ),
    "subject:minor": AuditAction(
        "A subject was found to be a minor: processing suppressed, deletion scheduled.",
        Affects.NOTHING,
    ),
    "subject:dormancy:notice": AuditAction(
        "A person inactive for almost three years was told of the erasure "
        "(DPDP Rules r. 8(2)) and it was scheduled.",
        Affects.NOTHING,
    ),
    "disclosure:make": AuditAction(
        "Personal data was disclosed to a recipient (or a disclosure was refused), "
        "with the purpose, categories and legal basis.",
        Affects.NOTHING,
    ),
    "offer:send": AuditAction(
        "A partner's offer was sent by the tenant to the subjects allowed (counts only).",
        Affects.NOTHING,
    ),
    "records:export": AuditAction("The records of processing were exported.", Affects.NOTHING),
    "records:dpia": AuditAction("An impact assessment was recorded or decided.", Affects.TENANT),
    "incident:change": AuditAction(
        "An incident was opened, updated, notified or closed.", Affects.NOTHING
    ),
    "staff:create": AuditAction(
        "An admin-console login was created (username, role).", Affects.NOTHING
    ),
    "staff:change": AuditAction(
        "An admin-console login was changed: password set, disabled, enabled or unlocked.",
        Affects.NOTHING,
    ),
    "staff:login": AuditAction(
        "Someone signed in to the admin console, or a sign-in was refused.", Affects.NOTHING
    ),
    "staff:logout": AuditAction(
        "An admin-console session ended: signed out, expired or revoked.", Affects.NOTHING
    ),
    "vault:subject:lookup": AuditAction(
        "Subjects were looked up by email or phone in the admin console, for a "
        "stated purpose (how many were found; never the identity).",
        Affects.NOTHING,
    ),
    "cpni:campaign": AuditAction(
        "A marketing campaign using CPNI was logged, approved or rejected by a "
        "supervisor, or launched (47 CFR 64.2009(c), (d)).",
        Affects.NOTHING,
    ),
    "cpni:certificate": AuditAction(
        "The annual CPNI compliance certificate was generated for a calendar year "
        "(47 CFR 64.2009(e)).",
        Affects.NOTHING,
    ),
    "cpni:call_detail": AuditAction(
        "Call detail was asked for on an inbound call: whether the customer's "
        "password passed, or call detail stayed masked (47 CFR 64.2010(b)); never the password.",
        Affects.NOTHING,
    ),
    "cpni:alert": AuditAction(
        "A customer was told of a created or changed password, back-up answer, address "
        "or contact of record, at the existing contact (47 CFR 64.2010(f)); never the new value.",
        Affects.NOTHING,
    ),
}

OUTCOMES = ("ok", "denied", "failed", "partial")


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audit event. Details hold references and counts, never values. ``seq``, ``prev_hash`` and
    ``hash`` are set once, when the event is sealed into the chain; ``mac`` when it is written (None
    only for events written before MACs existed, chained by :func:`event_hash`)."""

    seq: int | None
    at_us: int
    actor: str
    action: str
    subject: str | None
    purpose: str | None
    outcome: str
    details: str  # canonical JSON
    prev_hash: str | None
    hash: str | None
    nonce: str | None = None  # random, so that two identical events have different MACs
    mac: str | None = None
    id: int = 0  # the row's id: the order events were written in (0 before it is stored)


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


def mac_text(
    nonce: str,
    at_us: int,
    actor: str,
    action: str,
    subject: str | None,
    purpose: str | None,
    outcome: str,
    details: str,
) -> bytes:
    """What an event's MAC covers: every field, newline-separated (None as empty), versioned."""
    head = f"privault:audit-event:v2\n{nonce}\n{at_us}\n{actor}\n{action}\n"
    return f"{head}{subject or ''}\n{purpose or ''}\n{outcome}\n{details}".encode()


def event_mac(key: bytes, text: bytes) -> str:
    """The keyed BLAKE2b-256 MAC (RFC 7693's keyed mode) of an event's :func:`mac_text` with the
    tenant's audit key (hex). Twice as fast as HMAC-SHA256 here, which a full verification of a
    million events feels."""
    return blake2b(text, key=key, digest_size=32).hexdigest()


def event_macs(key: bytes) -> Callable[[bytes], str]:
    """:func:`event_mac` with ``key`` bound, for many events: BLAKE2b is keyed once and its state
    copied per event (a fifth of the cost of keying it anew)."""
    keyed = blake2b(key=key, digest_size=32)

    def mac(text: bytes) -> str:
        state = keyed.copy()
        state.update(text)
        return state.hexdigest()

    return mac


def chain_hash(prev_hash: str, seq: int, mac: str) -> str:
    """A sealed event's hash: the previous hash, its position and its MAC (which covers the rest)."""
    return sha256(f"{prev_hash}\n{seq}\n{mac}".encode("ascii")).hexdigest()


def checkpoint_message(tenant: str, seq: int, hash_: str) -> bytes:
    """What a checkpoint signature covers."""
    return f"privault:audit-checkpoint:v1|{tenant}|{seq}|{hash_}".encode()


class ProblemKind(StrEnum):
    """How the log fails to hold at one place."""

    MODIFIED = "modified"  # an event's fields no longer match its MAC (or its legacy hash)
    MISSING = "missing"  # positions of the chain are gone (deleted events)
    OUT_OF_CHAIN = "out_of_chain"  # an event does not follow the one before it
    HEAD_MISMATCH = "head_mismatch"  # the chain's last event is not the recorded head
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"  # a signed checkpoint's event is gone or differs
    BAD_SIGNATURE = "bad_signature"  # a checkpoint is not validly signed by the tenant's key
    UNKEYED = "unkeyed"  # an event without a MAC after keyed events (only old events lack one)
    DUPLICATE = "duplicate"  # the same event (same MAC) appears twice: a replayed copy
    WITNESS_MISMATCH = "witness_mismatch"  # the checkpoint kept outside the database disagrees
    WITNESS_AHEAD = "witness_ahead"  # the witness saw a longer chain: the tail was truncated
    KEY_MISMATCH = "key_mismatch"  # no event's MAC matches: the tenant's key was replaced


@dataclass(frozen=True, slots=True)
class VerifyProblem:
    """One place where the chain does not hold."""

    seq: int
    kind: ProblemKind
    message: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The result of verifying one tenant's log: ``events`` sealed events checked (from position
    ``start`` on an incremental check), ``unsealed`` written but not yet sealed (their MACs checked),
    ``late`` sealed after an event with a later time (committed more than the sealing delay after
    their own time; not tampering, reported so the order is never silently wrong)."""

    tenant: str
    events: int
    checkpoints: int
    problems: tuple[VerifyProblem, ...]
    unsealed: int = 0
    late: int = 0
    start: int = 0
    witnessed: int | None = None  # the position of the checkpoint kept outside the database

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.problems
