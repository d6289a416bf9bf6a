"""Storage builds records from rows by name: each record the repositories read has a column for each
of its fields, so a renamed, misspelt or reordered field fails here instead of swapping values."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pytest
from sqlalchemy import Table

from privault.core.audit import AuditEvent, ProblemKind
from privault.core.disclosure_ports import DisclosureRecord
from privault.core.job_ports import JobRecord, JobStatus
from privault.core.records import (
    ApiKeyRecord,
    CheckpointRecord,
    ConsentEventRecord,
    DatastoreKind,
    DatastoreRecord,
    FieldRecord,
    IdentityRecord,
    NoticeVersionRecord,
    SubjectFacts,
    SubjectRecord,
    TenantRecord,
)
from privault.core.records_ports import DpiaRecord, DpiaStatus, IncidentRecord, IncidentStatus
from privault.core.retention_ports import DueRow, HoldRecord, RetentionSubject, RunRecord, RunStatus
from privault.storage import tables as t
from privault.storage.base import columns_of, field_names, record_of

# (record, the table it is read from, fields read from a labelled expression instead of a column)
READ_FROM = [
    (SubjectRecord, t.Subject, ()),
    (FieldRecord, t.PersonalData, ()),
    (IdentityRecord, t.Identity, ()),
    (AuditEvent, t.AuditEvent, ()),
    (CheckpointRecord, t.AuditCheckpoint, ()),
    (ConsentEventRecord, t.ConsentEvent, ()),
    (TenantRecord, t.Tenant, ()),
    (NoticeVersionRecord, t.NoticeVersion, ()),
    (ApiKeyRecord, t.ApiKey, ()),
    (DatastoreRecord, t.Datastore, ()),
    (JobRecord, t.Job, ()),
    (DpiaRecord, t.Dpia, ()),
    (IncidentRecord, t.Incident, ()),
    (HoldRecord, t.LegalHold, ()),
    (RunRecord, t.RetentionRun, ()),
    (DisclosureRecord, t.Disclosure, ()),
    (SubjectFacts, t.Subject, ("erased",)),
    (RetentionSubject, t.Subject, ("live",)),
]


def _columns(entity: type[t.Base]) -> set[str]:
    table = entity.__table__
    assert isinstance(table, Table)
    return set(table.c.keys())


@pytest.mark.parametrize(("record", "entity", "labelled"), READ_FROM)
def test_every_field_of_a_record_is_a_column_of_its_table(
    record: type, entity: type[t.Base], labelled: tuple[str, ...]
) -> None:
    """A field with no column of the same name would fail every read; here it fails at once."""
    missing = set(field_names(record)) - _columns(entity) - set(labelled)
    assert not missing, f"{record.__name__} has fields that {entity.__name__} lacks: {missing}"


def test_a_due_row_reads_columns_of_the_values_and_their_subjects() -> None:
    """The retention sweep's due row is read by name from a join of values and subjects."""
    assert set(field_names(DueRow)) <= _columns(t.PersonalData) | _columns(t.Subject)


@pytest.mark.parametrize(("record", "entity", "labelled"), [r for r in READ_FROM if not r[2]])
def test_the_derived_select_lists_the_columns_in_field_order(
    record: type, entity: type[t.Base], labelled: tuple[str, ...]
) -> None:
    """Selects derived from a record read each field's own column at the field's position."""
    table = entity.__table__
    assert isinstance(table, Table)
    assert [c.key for c in columns_of(entity, record)] == list(field_names(record))
    assert [c.name for c in columns_of(table.c, record)] == list(field_names(record))


def test_a_misspelt_field_fails_instead_of_reading_another_column() -> None:
    """No column named like the field: deriving the select or building the record raises."""

    @dataclass(frozen=True)
    class Misspelt:
        id: int
        ui: str

    with pytest.raises(AttributeError):
        columns_of(t.Subject, Misspelt)
    with pytest.raises(KeyError):
        columns_of(t.Subject.__table__.c, Misspelt)
    with pytest.raises(AttributeError):
        record_of(Misspelt, t.Subject(id=1, uid="u"))


def test_record_of_takes_the_decoded_fields_from_the_caller() -> None:
    """Fields stored in another form are given decoded; the rest come from the row by name."""
    row = t.Job(id=7, kind="k", status="done", payload="{}", progress="{}")

    @dataclass(frozen=True)
    class Small:
        id: int
        kind: str
        status: JobStatus

    assert record_of(Small, row, status=JobStatus(row.status)) == Small(7, "k", JobStatus.DONE)


@pytest.mark.parametrize(
    ("enum", "stored"),
    [
        (JobStatus, {"queued", "running", "done", "failed"}),
        (DatastoreKind, {"postgresql", "mysql", "sqlite", "manual"}),
        (DpiaStatus, {"draft", "approved", "rejected"}),
        (IncidentStatus, {"open", "closed"}),
        (RunStatus, {"running", "done"}),
        (
            ProblemKind,
            {
                "modified",
                "missing",
                "out_of_chain",
                "head_mismatch",
                "checkpoint_mismatch",
                "bad_signature",
                "unkeyed",
                "duplicate",
                "witness_mismatch",
                "witness_ahead",
                "key_mismatch",
            },
        ),
    ],
)
def test_the_port_enums_keep_the_stored_strings(enum: type[StrEnum], stored: set[str]) -> None:
    """The enums stand for the strings already stored and shown: each member equals its string."""
    assert {m.value for m in enum} == stored
    assert all(m == m.value and f"{m}" == m.value for m in enum)
