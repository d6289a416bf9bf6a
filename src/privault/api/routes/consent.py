"""Consent over HTTP: record choices with evidence, link visitors, read state and history, restrict."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, status
from pydantic import BaseModel, Field

from privault.core.audit import from_micros
from privault.core.consent import Choice, Kind, Method, State, Via
from privault.core.consent_managers import Artefact
from privault.core.records import ConsentEventRecord
from privault.errors import InvalidInput
from privault.http.deps import AdminDep, ContainerDep, PrincipalDep
from privault.services.consent import (
    Evidence,
    Holder,
    current_state,
    history,
    honour_gpc,
    link_visitor,
    record_choices,
)
from privault.services.consent_managers import record_artefact
from privault.services.opt_in import confirm_sale_opt_in, request_sale_opt_in
from privault.services.restrictions import restrict_processing

router = APIRouter(prefix="/v1/consent", tags=["consent"])


class ChoiceIn(BaseModel):
    """One topic and whether the person permits it."""

    kind: Kind
    scope: str = Field(max_length=250, examples=["marketing-sms", "bluewave-mobile:email", "*"])
    granted: bool


class EvidenceIn(BaseModel):
    """How the choice was taken; ``ip`` and ``user_agent`` are the person's (stored truncated)."""

    method: Method
    channel: Via
    brand: str | None = None
    notice_version: str | None = Field(default=None, max_length=64)
    shown: str | None = Field(default=None, max_length=500)
    agent: str | None = Field(default=None, max_length=120)
    call_id: str | None = Field(default=None, max_length=64)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)
    evidence: dict[str, str] = Field(default_factory=dict, max_length=20)


class ConsentIn(EvidenceIn):
    """Choices of one subject (by ref) or one visitor, with their evidence."""

    subject: str | None = None
    visitor: str | None = None
    choices: list[ChoiceIn] = Field(min_length=1, max_length=100)


class EventOut(BaseModel):
    """One ledger event."""

    id: int
    kind: str
    scope: str
    granted: bool
    method: str
    channel: str
    brand: str | None
    notice_version: str | None
    shown: str | None
    agent: str | None
    call_id: str | None
    ip_prefix: str | None
    user_agent: str | None
    evidence: dict[str, str]
    actor: str
    at: datetime


class EntryOut(BaseModel):
    """The current state of one topic, and the event that set it."""

    granted: bool
    event: int
    method: str
    at: datetime


class StateOut(BaseModel):
    """The holder's current state per topic ("kind:scope")."""

    state: dict[str, EntryOut]


class RecordedOut(StateOut):
    """The events appended and the resulting state."""

    events: list[EventOut]
    gpc_honoured: bool = False


class LinkIn(EvidenceIn):
    """Attach a visitor id to a subject."""

    visitor: str
    subject: str


class HistoryOut(BaseModel):
    """Every event of the holder, oldest first."""

    events: list[EventOut]


class OptInRequestIn(EvidenceIn):
    """Step one of an opt-in to sale or sharing (CCPA-OI-1): the consumer's request."""

    subject: str | None = None
    visitor: str | None = None
    consumer_initiated: bool = Field(
        description="The consumer started this (within 12 months of an opt-out, nothing else is "
        "taken: Cal. Civ. Code 1798.135(c)(4))."
    )


class OptInRequestOut(BaseModel):
    """The token the separate confirmation presents, and until when."""

    token: str
    expires_at: datetime
    ask_after: datetime | None


class OptInConfirmIn(EvidenceIn):
    """Step two: the consumer's separate confirmation (11 CCR 7028(a))."""

    token: str = Field(max_length=2000)


class ArtefactIn(BaseModel):
    """A consent artefact (or its withdrawal) from a consent manager (DPDP Act s.6(7)-(9))."""

    subject: str
    consent_manager: str = Field(max_length=64, description="The manager's Board registration.")
    artefact_id: str = Field(max_length=64)
    purposes: list[str] = Field(default_factory=list, max_length=100)
    granted: bool = True


class RestrictIn(EvidenceIn):
    """Restrict (or lift the restriction of) processing for many subjects at once, e.g. a billing run."""

    subjects: list[str] = Field(min_length=1, max_length=10_000)
    purpose: str | None = Field(default=None, description="Restrict one purpose only; default all.")
    restricted: bool = True
    reference: str | None = Field(default=None, max_length=64, examples=["billing-run:2026-11"])
    informed_otherwise: str = Field(
        default="",
        max_length=300,
        description="Lifting: how people with no e-mail or phone on file were told (GDPR 18(3)).",
    )


class RestrictOut(BaseModel):
    """How many subjects were changed."""

    subjects: int
    events: int


def event_out(e: ConsentEventRecord) -> EventOut:
    """The wire form of a ledger row."""
    return EventOut(
        id=e.id,
        kind=e.kind,
        scope=e.scope,
        granted=e.granted,
        method=e.method,
        channel=e.channel,
        brand=e.brand,
        notice_version=e.notice_version,
        shown=e.shown,
        agent=e.agent,
        call_id=e.call_id,
        ip_prefix=e.ip_prefix,
        user_agent=e.user_agent,
        evidence=json.loads(e.evidence),
        actor=e.actor,
        at=e.at,
    )


def state_out(state: State) -> dict[str, EntryOut]:
    """The wire form of a state."""
    return {
        k: EntryOut(granted=e.granted, event=e.event_id, method=e.method, at=from_micros(e.at_us))
        for k, e in sorted(state.items())
    }


def evidence_from(body: EvidenceIn, *, brand: str | None = None) -> Evidence:
    """Evidence from a body. IP and user agent are the person's, as the caller states them: an API
    caller is usually a server (a CRM, the agent desktop), whose own address proves nothing."""
    return Evidence(
        method=body.method,
        via=body.channel,
        brand=brand if brand is not None else body.brand,
        notice_version=body.notice_version,
        shown=body.shown,
        agent=body.agent,
        call_id=body.call_id,
        ip=body.ip,
        user_agent=body.user_agent,
        extra=body.evidence,
    )


@router.post("", response_model=RecordedOut, status_code=status.HTTP_201_CREATED)
def record(
    body: ConsentIn,
    principal: PrincipalDep,
    container: ContainerDep,
    sec_gpc: Annotated[str | None, Header(alias="Sec-GPC")] = None,
) -> RecordedOut:
    """Append choices to the ledger with their evidence (one event each, audited)."""
    holder = Holder(subject=body.subject, visitor=body.visitor)
    choices = [Choice(c.kind, c.scope, c.granted) for c in body.choices]
    evidence = evidence_from(body)
    at = container.clock.now()
    deps, tenant = container.deps, principal.tenant_key
    done = record_choices(deps, tenant, principal.actor, holder, choices, evidence, at)
    honoured, state_now = False, done.state
    if sec_gpc == "1":  # the person's browser sent GPC through the caller: honour it as well
        gpc = Evidence(Method.GPC, Via.WEB, ip=evidence.ip, user_agent=evidence.user_agent)
        honoured = honour_gpc(deps, tenant, holder, gpc, at)
        state_now = current_state(deps, tenant, holder)
    return RecordedOut(
        events=[event_out(e) for e in done.events],
        state=state_out(state_now),
        gpc_honoured=honoured,
    )


@router.post("/link", response_model=RecordedOut, status_code=status.HTTP_201_CREATED)
def link(body: LinkIn, principal: AdminDep, container: ContainerDep) -> RecordedOut:
    """Link an anonymous visitor to a subject: the visitor's choices count for the subject from now on."""
    done = link_visitor(
        container.deps,
        principal.tenant_key,
        principal.actor,
        body.visitor,
        body.subject,
        evidence_from(body),
        container.clock.now(),
    )
    return RecordedOut(events=[event_out(e) for e in done.events], state=state_out(done.state))


@router.get("", response_model=StateOut)
def state(
    principal: PrincipalDep,
    container: ContainerDep,
    subject: str | None = Query(None),
    visitor: str | None = Query(None),
) -> StateOut:
    """The current state of a subject or a visitor."""
    if (subject is None) == (visitor is None):
        raise InvalidInput("name either a subject or a visitor", code="consent.invalid")
    holder = Holder(subject=subject, visitor=visitor)
    found = current_state(container.deps, principal.tenant_key, holder)
    return StateOut(state=state_out(found))


@router.get("/events", response_model=HistoryOut)
def events(
    principal: AdminDep,
    container: ContainerDep,
    subject: str | None = Query(None),
    visitor: str | None = Query(None),
) -> HistoryOut:
    """The ledger of a subject or a visitor, oldest first (the proof of each choice)."""
    if (subject is None) == (visitor is None):
        raise InvalidInput("name either a subject or a visitor", code="consent.invalid")
    found = history(container.deps, principal.tenant_key, Holder(subject=subject, visitor=visitor))
    return HistoryOut(events=[event_out(e) for e in found])


@router.post("/restrictions", response_model=RestrictOut, status_code=status.HTTP_201_CREATED)
def restrict(body: RestrictIn, principal: AdminDep, container: ContainerDep) -> RestrictOut:
    """Restrict processing (GDPR Art. 18) of one or many subjects, for all purposes or one."""
    evidence = evidence_from(body)
    count = restrict_processing(
        container.deps,
        principal.tenant_key,
        principal.actor,
        body.subjects,
        body.purpose,
        restricted=body.restricted,
        reference=body.reference,
        evidence=evidence,
        informed_otherwise=body.informed_otherwise,
    )
    return RestrictOut(subjects=count, events=count)


@router.post(
    "/opt-in/sale-sharing", response_model=OptInRequestOut, status_code=status.HTTP_201_CREATED
)
def opt_in_request(
    body: OptInRequestIn, principal: PrincipalDep, container: ContainerDep
) -> OptInRequestOut:
    """Step one of the two-step opt-in to sale or sharing: take the consumer's request."""
    found = request_sale_opt_in(
        container.deps,
        principal.tenant_key,
        principal.actor,
        Holder(subject=body.subject, visitor=body.visitor),
        evidence_from(body),
        consumer_initiated=body.consumer_initiated,
    )
    return OptInRequestOut(
        token=found.token, expires_at=found.expires_at, ask_after=found.ask_after
    )


@router.post(
    "/opt-in/sale-sharing/confirm", response_model=RecordedOut, status_code=status.HTTP_201_CREATED
)
def opt_in_confirm(
    body: OptInConfirmIn, principal: PrincipalDep, container: ContainerDep
) -> RecordedOut:
    """Step two: the separate confirmation; records the opt-in with its request as evidence."""
    done = confirm_sale_opt_in(
        container.deps, principal.tenant_key, principal.actor, body.token, evidence_from(body)
    )
    return RecordedOut(events=[event_out(e) for e in done.events], state=state_out(done.state))


@router.post("/artefacts", response_model=RecordedOut, status_code=status.HTTP_201_CREATED)
def artefact(body: ArtefactIn, principal: PrincipalDep, container: ContainerDep) -> RecordedOut:
    """Record a consent manager's artefact, or its withdrawal (DPDP-CM-1)."""
    given = Artefact(body.consent_manager, body.artefact_id, tuple(body.purposes), body.granted)
    done = record_artefact(
        container.deps,
        principal.tenant_key,
        principal.actor,
        Holder(subject=body.subject),
        given,
        container.clock.now(),
    )
    return RecordedOut(events=[event_out(e) for e in done.events], state=state_out(done.state))
