"""Subject requests: what a request is, the states it moves through, and the codes it closes with. Pure.

A request exercises one right (``core.jurisdictions.Right``) for the person who names one or more
identities (email, phone). Its life:

``received`` -> ``verified`` -> ``in_progress`` -> ``completed``; ``paused`` (the clock stops while
waiting for the requester), ``extended`` (the one extension the law allows, with reasons), ``incomplete``
(fulfilment ran but something could not be done: a field not erased, a manual task still open) and
``denied`` (with a reason code and the text sent) on the way. ``completed`` and ``denied`` are final.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from privault.core.jurisdictions import Right
from privault.errors import Conflict, InvalidInput


class State(StrEnum):
    """Where a request stands."""

    RECEIVED = "received"
    VERIFIED = "verified"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    EXTENDED = "extended"
    INCOMPLETE = "incomplete"
    COMPLETED = "completed"
    DENIED = "denied"


FINAL = frozenset({State.COMPLETED, State.DENIED})
OPEN = frozenset(State) - FINAL
_WORKING = (State.VERIFIED, State.IN_PROGRESS, State.EXTENDED, State.INCOMPLETE)

TRANSITIONS: dict[State, frozenset[State]] = {
    State.RECEIVED: frozenset({State.VERIFIED, State.PAUSED, State.EXTENDED, State.DENIED}),
    State.VERIFIED: frozenset({State.IN_PROGRESS, *_WORKING[2:], State.PAUSED, *FINAL}),
    State.IN_PROGRESS: frozenset({State.PAUSED, State.EXTENDED, State.INCOMPLETE, *FINAL}),
    State.EXTENDED: frozenset({State.IN_PROGRESS, State.PAUSED, State.INCOMPLETE, *FINAL}),
    # incomplete -> incomplete: fulfilled again, something is still left
    State.INCOMPLETE: frozenset(
        {State.INCOMPLETE, State.IN_PROGRESS, State.PAUSED, State.EXTENDED, *FINAL}
    ),
    State.PAUSED: frozenset({State.RECEIVED, *_WORKING, State.DENIED}),
    State.COMPLETED: frozenset(),
    State.DENIED: frozenset(),
}

# Rights that need no identity verification (CCPA §7026, §7027: no ID may be demanded).
# US state laws: an opt-out request needs no authentication either (e.g. Conn. Gen. Stat. § 42-518).
UNVERIFIED_RIGHTS = frozenset(
    {
        Right.OPT_OUT_SALE,
        Right.LIMIT_SENSITIVE,
        Right.OPT_OUT_TARGETED_ADS,
        Right.OPT_OUT_PROFILING,
    }
)
# Rights whose fulfilment changes what processing is allowed (recorded as consent-ledger flags).
FLAG_RIGHTS = frozenset({Right.RESTRICTION, Right.OBJECTION, *UNVERIFIED_RIGHTS})


class Channel(StrEnum):
    """The manner in which the request was made (CCPA §7101(b) record)."""

    WEB = "web"
    EMAIL = "email"
    PHONE = "phone"
    POST = "post"
    AGENT_DESKTOP = "agent_desktop"
    API = "api"


class PauseReason(StrEnum):
    """Why the clock stopped (UK Art. 12A)."""

    AWAITING_IDENTITY = "awaiting_identity"
    AWAITING_CLARIFICATION = "awaiting_clarification"
    AWAITING_FEE = "awaiting_fee"


class Exemption(StrEnum):
    """Why data may be kept despite an erasure request (GDPR 17(3), CCPA 1798.105(d), holds)."""

    FREEDOM_OF_EXPRESSION = "freedom_of_expression"  # GDPR 17(3)(a), CCPA (d)(4)
    LEGAL_OBLIGATION = "legal_obligation"  # GDPR 17(3)(b), CCPA (d)(8)
    PUBLIC_HEALTH = "public_health"  # GDPR 17(3)(c)
    ARCHIVING_RESEARCH = "archiving_research"  # GDPR 17(3)(d), CCPA (d)(6)
    LEGAL_CLAIMS = "legal_claims"  # GDPR 17(3)(e)
    COMPLETE_TRANSACTION = "complete_transaction"  # CCPA (d)(1)
    SECURITY_INTEGRITY = "security_integrity"  # CCPA (d)(2)
    DEBUG = "debug"  # CCPA (d)(3)
    CALECPA = "calecpa"  # CCPA (d)(5)
    INTERNAL_USES = "internal_uses"  # CCPA (d)(7)
    LEGAL_HOLD = "legal_hold"  # a litigation or regulatory hold


class DenialCode(StrEnum):
    """Why a request was refused in whole (the text sent to the requester is kept with it)."""

    IDENTITY_NOT_VERIFIED = "identity_not_verified"  # CCPA §7062, GDPR 12(6)
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded"  # GDPR 12(5)
    EXCESSIVE = "excessive"  # GDPR 12(5)
    NO_RIGHT = "no_right"  # the applicable law grants no such right
    AGENT_NOT_AUTHORISED = "agent_not_authorised"  # CCPA §7063
    EXEMPT = "exempt"  # an exemption applies to everything asked (name it in the text)
    WITHDRAWN = "withdrawn"  # the requester withdrew it


IDENTITY_KINDS = ("email", "phone")
_E = TypeVar("_E", bound=StrEnum)


def parse_request(raw: object) -> RequestIn:
    """Validate a request as received, or InvalidInput naming every problem (nothing is kept)."""
    if isinstance(raw, RequestIn):
        return raw
    try:
        return RequestIn.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'request'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidInput(
            f"the request is not valid: {problems}", code="request.invalid"
        ) from None


def choice_of(kind: type[_E], value: str, what: str) -> _E:
    """An enum member from text, or InvalidInput listing the allowed values."""
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidInput(f"unknown {what} '{value}'; one of: {allowed}") from None


def check_transition(current: State, wanted: State) -> None:
    """Refuse a move the workflow does not allow, saying what is allowed."""
    if wanted not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing (it is closed)"
        raise Conflict(
            f"a {current.value} request cannot become {wanted.value}; allowed: {allowed}",
            code="request.invalid_transition",
        )


class Agent(BaseModel):
    """An authorised agent acting for the person (CCPA §7063), with the proof of authority."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    authorisation: str = Field(
        min_length=1,
        max_length=500,
        description="How the person authorised the agent (signed permission, power of attorney).",
    )


class RequestIn(BaseModel):
    """A request as received: the right, the requester's identities, and what they ask for."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    type: Right
    identities: dict[Literal["email", "phone"], list[str]] = Field(min_length=1)
    jurisdiction: str | None = Field(default=None, description="Declared residence, e.g. us-ca.")
    brand: str | None = None
    agent: Agent | None = None
    channel: Channel = Channel.WEB
    corrections: dict[str, Any] = Field(
        default_factory=dict, description="Rectification: field -> the correct value."
    )
    purposes: list[str] = Field(
        default_factory=list,
        description="Restriction / objection: the purposes concerned (empty: all, or marketing).",
    )
    details: str = Field(default="", max_length=2000, description="Anything the person adds.")
    lookback_from: date | None = Field(
        default=None, description="Right to know: from when (CCPA: back to 2022-01-01 on request)."
    )
    appeal_of: str | None = Field(
        default=None,
        pattern=r"^R-[A-Z0-9]{8}$",
        description="Appeal: the reference of the refused request (type appeal only).",
    )
    decision: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9_.\-]*$",
        max_length=120,
        description="Human review: the automated decision contested (its purpose key).",
    )

    @model_validator(mode="after")
    def _appeal_names_its_request(self) -> RequestIn:
        if (self.type is Right.APPEAL) != (self.appeal_of is not None):
            raise ValueError(
                "an appeal names the request it appeals (appeal_of), and only an appeal"
            )
        if (self.type is Right.HUMAN_REVIEW) != (self.decision is not None):
            raise ValueError(
                "a human review names the automated decision it contests (decision), and only a "
                "human review"
            )
        return self

    @field_validator("identities")
    @classmethod
    def _some_identity(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        cleaned = {k: [v.strip() for v in vs if v.strip()] for k, vs in value.items()}
        if not any(cleaned.values()):
            raise ValueError("name at least one email address or phone number")
        if sum(len(vs) for vs in cleaned.values()) > 5:
            raise ValueError("name at most 5 identities")
        return {k: vs for k, vs in cleaned.items() if vs}


def needs_verification(right: Right) -> bool:
    """Opt-out and limit requests need no verification; every other right does."""
    return right not in UNVERIFIED_RIGHTS


@dataclass(frozen=True, slots=True)
class PauseSpan:
    """One stop of the clock, as stored."""

    start: date
    end: date | None
    reason: str


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """A request as stored (its personal details are sealed; see ``RequestDetails``)."""

    id: int
    tenant_id: int
    ref: str
    type: Right
    state: State
    resume_state: State | None
    channel: Channel
    brand: str | None
    jurisdictions: tuple[str, ...]
    jurisdiction: str
    rule: str
    deadline_explanation: str
    received_at: datetime
    received_on: date
    due_on: date
    ack_due_on: date | None
    acknowledged_at: datetime | None
    extended: bool
    extension_reasons: str
    pauses: tuple[PauseSpan, ...]
    subject_id: int | None
    verified_at: datetime | None
    verification: str
    assignee: str | None
    denial_code: str | None
    denial_text: str | None
    response: str
    result: dict[str, Any]
    closed_at: datetime | None
    retain_until: date | None
    created_at: datetime
    updated_at: datetime
    kek_version: int
    wrapped_key: bytes
    sealed: bytes
    token_hash: str


@dataclass(frozen=True, slots=True)
class RequestDetails:
    """What the requester told us (stored encrypted with the request's own data key)."""

    identities: dict[str, list[str]]
    agent: dict[str, str] | None = None
    corrections: dict[str, Any] = field(default_factory=dict)
    purposes: list[str] = field(default_factory=list)
    details: str = ""
    lookback_from: str | None = None
    appeal_of: str | None = None
    decision: str | None = None  # human review: the automated decision contested (purpose key)


@dataclass(frozen=True, slots=True)
class VerificationRecord:
    """A one-time code sent to one identity of a request."""

    id: int
    request_id: int
    kind: str
    slot: int
    code_hash: str
    expires_at: datetime
    attempts: int
    sends: int
    verified_at: datetime | None


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """Work a person must do by hand (a system without a connector, a recipient to notify)."""

    id: int
    request_id: int
    system: str
    description: str
    assignee: str | None
    state: Literal["open", "done", "cancelled"]
    note: str
    created_at: datetime
    done_at: datetime | None
    done_by: str | None


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One step of a request's timeline."""

    id: int
    request_id: int
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    note: str
    details: dict[str, Any]


class StaffAction(StrEnum):
    """What staff do to a request (``services.requests.actions.take_action``)."""

    VERIFY = "verify"
    START = "start"
    EXTEND = "extend"
    PAUSE = "pause"
    RESUME = "resume"
    COMPLETE = "complete"
    DENY = "deny"


def allowed_actions(r: RequestRecord) -> frozenset[str]:
    """The staff actions the request's state allows, and ``task`` while it is open (each use case
    checks its move again when it is taken)."""
    moves = TRANSITIONS[r.state]
    verified = r.verified_at is not None
    rules = {
        StaffAction.VERIFY: not verified and r.state not in FINAL,
        StaffAction.START: verified and State.IN_PROGRESS in moves,
        StaffAction.EXTEND: not r.extended
        and r.state is not State.PAUSED
        and State.EXTENDED in moves,
        StaffAction.PAUSE: State.PAUSED in moves,
        StaffAction.RESUME: r.state is State.PAUSED,
        StaffAction.COMPLETE: verified and r.state in _WORKING,
        StaffAction.DENY: State.DENIED in moves,
        "task": r.state not in FINAL,
    }
    return frozenset(str(action) for action, allowed in rules.items() if allowed)
