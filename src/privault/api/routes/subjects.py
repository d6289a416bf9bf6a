"""The vault over HTTP: create, look up, read, update and erase subjects (every read names a purpose)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from privault.api.deps import ContainerDep, PrincipalDep, UowDep
from privault.core.vault import SubjectIn
from privault.services.vault import (
    SubjectView,
    erase_subject,
    find_subjects,
    show_subject,
)
from privault.services.vault import update_subject as update_subject_service
from privault.services.vault_import import create_subject

router = APIRouter(prefix="/v1/subjects", tags=["vault"])


class Created(BaseModel):
    """The new subject's reference."""

    subject: str


class FieldOut(BaseModel):
    """One decrypted value with its provenance."""

    value: Any
    category: str
    source: str
    purpose: str
    collected_at: datetime
    last_four: bool = Field(
        default=False,
        description="The value is shown by its last four characters only (****1001): a card, "
        "bank-account, government ID or medical ID number the role has no full_values grant for. "
        "Never write it back.",
    )
    withheld: bool = Field(
        default=False,
        description='The value is not shown at all ("[withheld]"): a password, credential, '
        "security answer or biometric data the role has no full_values grant for. Never write it "
        "back.",
    )


class WithheldOut(BaseModel):
    """A value not shown, and the rule that withheld it."""

    field: str
    category: str
    rule: str


class SubjectOut(BaseModel):
    """What a read returned."""

    subject: str | None
    uid: str
    is_minor: bool
    identities: dict[str, list[str]]
    data: dict[str, FieldOut]
    withheld: list[WithheldOut]


class Lookup(BaseModel):
    """Find subjects by one kind of identity, for a purpose."""

    kind: str = Field(examples=["email"])
    values: list[str] = Field(min_length=1, max_length=1000)
    purpose: str


class LookupOut(BaseModel):
    """The subjects found (each read was audited)."""

    subjects: list[SubjectOut]


class Update(BaseModel):
    """Values and identities to write, with where they came from and why."""

    identities: dict[str, str | list[str]] = {}
    data: dict[str, Any] = {}
    source: str
    purpose: str


class UpdateOut(BaseModel):
    """The fields written."""

    fields: list[str]


class ErasedOut(BaseModel):
    """What the erasure removed; the subject's data key is destroyed."""

    uid: str
    fields: int
    identities: int


def subject_out(view: SubjectView) -> SubjectOut:
    """A subject as the API shows it (values revealed: the role may see them)."""
    return SubjectOut(
        subject=view.ref,
        uid=view.uid,
        is_minor=view.is_minor,
        identities={k: [v.reveal() for v in values] for k, values in view.identities.items()},
        data={
            name: FieldOut(
                value=f.value.reveal(),
                category=f.category,
                source=f.source,
                purpose=f.purpose,
                collected_at=f.collected_at,
                last_four=f.last_four,
                withheld=f.withheld,
            )
            for name, f in view.data.items()
        },
        withheld=[
            WithheldOut(field=w.field, category=w.category, rule=w.rule) for w in view.withheld
        ],
    )


@router.post("", response_model=Created, status_code=status.HTTP_201_CREATED)
def create(body: SubjectIn, principal: PrincipalDep, container: ContainerDep) -> Created:
    """Create a subject with identities and data; values are encrypted with its own key."""
    ref = create_subject(container.uow, container.vault, principal, body.model_dump())
    return Created(subject=ref)


@router.post("/lookup", response_model=LookupOut)
def lookup(
    body: Lookup, principal: PrincipalDep, uow: UowDep, container: ContainerDep
) -> LookupOut:
    """Find subjects by email, phone or another identity (blind index) and read them for the purpose."""
    views = find_subjects(uow, container.vault, principal, body.kind, body.values, body.purpose)
    return LookupOut(subjects=[subject_out(v) for v in views])


@router.get("/{ref}", response_model=SubjectOut)
def read(
    ref: str,
    principal: PrincipalDep,
    uow: UowDep,
    container: ContainerDep,
    purpose: str = Query(...),
) -> SubjectOut:
    """Read a subject for a stated purpose: only what the role may see; the rest is listed as withheld."""
    return subject_out(show_subject(uow, container.vault, principal, ref, purpose))


@router.patch("/{ref}", response_model=UpdateOut)
def update(
    ref: str, body: Update, principal: PrincipalDep, uow: UowDep, container: ContainerDep
) -> UpdateOut:
    """Write values (replacing earlier ones of the same field) and add identities."""
    fields = update_subject_service(uow, container.vault, principal, ref, body.model_dump())
    return UpdateOut(fields=fields)


@router.delete("/{ref}", response_model=ErasedOut)
def erase(
    ref: str,
    principal: PrincipalDep,
    uow: UowDep,
    container: ContainerDep,
    purpose: str = Query(...),
    reason: str = Query("", max_length=64),
) -> ErasedOut:
    """Erase a subject: values and identities deleted, its data key destroyed (crypto-shredding)."""
    erased = erase_subject(uow, container.vault, principal, ref, purpose, reason)
    return ErasedOut(uid=erased.uid, fields=erased.fields, identities=erased.identities)
