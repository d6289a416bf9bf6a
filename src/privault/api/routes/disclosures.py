"""Disclosures to recipients and partners' offers over HTTP (API key with an admin role)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from privault.http.deps import AdminDep, ContainerDep
from privault.services.disclosures import Disclosed, disclose, list_disclosures
from privault.services.offers import send_offer

router = APIRouter(tags=["disclosures"])


class DisclosureIn(BaseModel):
    """A disclosure to make: to whom, whose data, why, and its footing in law."""

    model_config = ConfigDict(extra="forbid")

    recipient: str
    subjects: list[str] = Field(min_length=1, max_length=10_000)
    purpose: str
    categories: list[str] = Field(
        default=[], description="Only these categories (default: all the register allows)."
    )
    transform: Literal["identity", "pseudonymise", "aggregate", "anonymise"] | None = None
    legal_basis: str | None = Field(default=None, max_length=200)
    document_ref: str | None = Field(default=None, max_length=200)
    notice_withheld_until: date | None = None
    withhold_reference: str | None = Field(default=None, max_length=200)


class RefusalOut(BaseModel):
    """A subject left out, and the rule that says so."""

    subject: str
    rule: str


class DisclosedOut(BaseModel):
    """What was disclosed (the payload is what the recipient receives) and who was refused."""

    batch: str
    recipient: str
    purpose: str
    transform: str
    categories: list[str]
    subjects: list[str]
    refused: list[RefusalOut]
    notice_withheld_until: date | None
    payload: dict[str, Any]


def _disclosed(done: Disclosed) -> DisclosedOut:
    return DisclosedOut(
        batch=done.batch,
        recipient=done.recipient,
        purpose=done.purpose,
        transform=done.transform,
        categories=list(done.categories),
        subjects=list(done.subjects),
        refused=[RefusalOut(subject=r.subject, rule=r.rule) for r in done.refused],
        notice_withheld_until=done.notice_withheld_until,
        payload=done.payload.reveal(),
    )


@router.post("/v1/disclosures", response_model=DisclosedOut)
def make(body: DisclosureIn, admin: AdminDep, container: ContainerDep) -> DisclosedOut:
    """Disclose subjects' data to a recipient: checked, minimised, recorded, audited."""
    done = disclose(
        container.deps,
        admin,
        body.recipient,
        body.subjects,
        body.purpose,
        categories=body.categories,
        legal_basis=body.legal_basis,
        document_ref=body.document_ref,
        notice_withheld_until=body.notice_withheld_until,
        withhold_reference=body.withhold_reference,
        transform=body.transform,
    )
    return _disclosed(done)


class DisclosureOut(BaseModel):
    """One row of the disclosure register."""

    batch: str
    at: datetime
    recipient: str
    subject: str | None
    purpose: str
    categories: list[str]
    transform: str
    legal_basis: str | None
    document_ref: str | None
    notice_withheld_until: date | None
    withhold_reference: str | None
    actor: str


@router.get("/v1/disclosures", response_model=list[DisclosureOut])
def register(
    admin: AdminDep,
    container: ContainerDep,
    subject: str | None = None,
    recipient: str | None = None,
    limit: int = Query(500, ge=1, le=10_000),
) -> list[DisclosureOut]:
    """The disclosure register, newest first; filter by subject reference or recipient."""
    rows = list_disclosures(
        container.deps, admin.tenant_key, subject_ref=subject, recipient=recipient, limit=limit
    )
    return [
        DisclosureOut(
            batch=r.batch,
            at=r.at,
            recipient=r.recipient,
            subject=ref,
            purpose=r.purpose,
            categories=list(r.categories),
            transform=r.transform,
            legal_basis=r.legal_basis,
            document_ref=r.document_ref,
            notice_withheld_until=r.notice_withheld_until,
            withhold_reference=r.withhold_reference,
            actor=r.actor,
        )
        for r, ref in rows
    ]


class OfferIn(BaseModel):
    """A partner's offer, sent by the tenant to the subjects allowed."""

    model_config = ConfigDict(extra="forbid")

    partner: str
    purpose: str
    channel: Literal["email", "sms"]
    subject: str = Field(max_length=200, description="The message's subject line.")
    body: str = Field(max_length=10_000)
    brand: str | None = None


class OfferOut(BaseModel):
    """Counts only: this is all the partner learns."""

    partner: str
    purpose: str
    channel: str
    eligible: int
    sent: int
    failed: int
    suppressed: dict[str, int]


@router.post("/v1/offers", response_model=OfferOut)
def offer(body: OfferIn, admin: AdminDep, container: ContainerDep) -> OfferOut:
    """Send a partner's offer through the tenant's messenger; no personal data leaves."""
    sent = send_offer(
        container.deps,
        admin.tenant_key,
        body.partner,
        body.purpose,
        body.channel,
        body.subject,
        body.body,
        body.brand,
        actor=admin.actor,
    )
    return OfferOut(
        partner=sent.partner,
        purpose=sent.purpose,
        channel=sent.channel,
        eligible=sent.eligible,
        sent=sent.sent,
        failed=sent.failed,
        suppressed=sent.suppressed,
    )
