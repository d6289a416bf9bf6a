"""The vault over HTTP: create, look up, read, update and erase subjects (every read names a purpose)."""

from __future__ import annotations

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from privault.core.vault import DataValue, SubjectIn
from privault.http.deps import ContainerDep, PrincipalDep
from privault.services.vault import erase_subject, find_subjects, show_subject
from privault.services.vault import update_subject as update_subject_service
from privault.services.vault_import import create_subject
from privault.services.vault_json import SubjectOut, subject_out

router = APIRouter(prefix="/v1/subjects", tags=["vault"])


class Created(BaseModel):
    """The new subject's reference."""

    subject: str


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
    data: dict[str, DataValue] = {}
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


@router.post("", response_model=Created, status_code=status.HTTP_201_CREATED)
def create(body: SubjectIn, principal: PrincipalDep, container: ContainerDep) -> Created:
    """Create a subject with identities and data; values are encrypted with its own key."""
    ref = create_subject(container.deps, principal, body.model_dump())
    return Created(subject=ref)


@router.post("/lookup", response_model=LookupOut)
def lookup(body: Lookup, principal: PrincipalDep, container: ContainerDep) -> LookupOut:
    """Find subjects by email, phone or another identity (blind index) and read them for the purpose."""
    views = find_subjects(container.deps, principal, body.kind, body.values, body.purpose)
    return LookupOut(subjects=[subject_out(v) for v in views])


@router.get("/{ref}", response_model=SubjectOut)
def read(
    ref: str,
    principal: PrincipalDep,
    container: ContainerDep,
    purpose: str = Query(...),
) -> SubjectOut:
    """Read a subject for a stated purpose: only what the role may see; the rest is listed as withheld."""
    return subject_out(show_subject(container.deps, principal, ref, purpose))


@router.patch("/{ref}", response_model=UpdateOut)
def update(ref: str, body: Update, principal: PrincipalDep, container: ContainerDep) -> UpdateOut:
    """Write values (replacing earlier ones of the same field) and add identities."""
    fields = update_subject_service(container.deps, principal, ref, body.model_dump())
    return UpdateOut(fields=fields)


@router.delete("/{ref}", response_model=ErasedOut)
def erase(
    ref: str,
    principal: PrincipalDep,
    container: ContainerDep,
    purpose: str = Query(...),
    reason: str = Query("", max_length=64),
) -> ErasedOut:
    """Erase a subject: values and identities deleted, its data key destroyed (crypto-shredding)."""
    erased = erase_subject(container.deps, principal, ref, purpose, reason)
    return ErasedOut(uid=erased.uid, fields=erased.fields, identities=erased.identities)
