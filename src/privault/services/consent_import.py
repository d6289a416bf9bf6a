"""Importing a consent history (from a former consent tool, a CRM, a dialer's opt-out list).

Each record keeps its original time and evidence. A bad record is reported with its line number and the
rest import; each batch is one transaction with its audit events, like any other choice, so every
process's decision cache sees the imported choices.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from privault.core.consent import Choice, Kind, Method, Via, apply, check_choice, load_state
from privault.core.import_lines import BadLine, json_lines
from privault.core.ports import UnitOfWork
from privault.core.records import ConsentEventRecord, SubjectFacts
from privault.errors import PrivaultError
from privault.services.audit import record
from privault.services.consent import (
    Evidence,
    audit_entry,
    check_evidence,
    event_row,
    fold_row,
    notice_version,
    save_states,
    with_id,
)
from privault.services.decisions import Decider
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant


class ChoiceLine(BaseModel):
    """One topic of an imported record."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    scope: str = Field(max_length=250)
    granted: bool


class ConsentLine(BaseModel):
    """One imported interaction: a subject's choices at a time, with their evidence."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=200)
    at: AwareDatetime
    choices: list[ChoiceLine] = Field(min_length=1, max_length=100)
    method: Method = Method.IMPORT
    channel: Via = Via.API
    brand: str | None = None
    notice_version: str | None = Field(default=None, max_length=64)
    shown: str | None = Field(default=None, max_length=500)
    agent: str | None = Field(default=None, max_length=120)
    call_id: str | None = Field(default=None, max_length=64)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)
    evidence: dict[str, str] = Field(default_factory=dict, max_length=20)

    def proof(self) -> Evidence:
        """The evidence of the interaction."""
        return Evidence(
            self.method,
            self.channel,
            self.brand,
            self.notice_version,
            self.shown,
            self.agent,
            self.call_id,
            self.ip,
            self.user_agent,
            self.evidence,
        )


@dataclass
class ConsentImportReport:
    """How many records and events went in, and each bad line with its reason."""

    records: int = 0
    events: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Checked:
    line: int
    record: ConsentLine


def import_choices(
    deps: Deps,
    tenant_key: str,
    actor: str,
    lines: Iterable[tuple[int, object]],
    now: datetime,
    *,
    batch_size: int = 5000,
) -> ConsentImportReport:
    """Import records in batches (one transaction each); a record dated in the future is refused."""
    report = ConsentImportReport()
    for batch in _batches(_checked(deps.decider, tenant_key, lines, now, report), batch_size):
        _store(deps, tenant_key, actor, batch, now, report)
    report.errors.sort()
    return report


def _checked(
    decider: Decider,
    tenant_key: str,
    lines: Iterable[tuple[int, object]],
    now: datetime,
    report: ConsentImportReport,
) -> Iterator[_Checked]:
    view = decider.view(tenant_key)
    for number, raw in lines:
        if isinstance(raw, BadLine | str):  # the reader's own error (binary, not valid JSON)
            report.errors.append((number, raw.reason if isinstance(raw, BadLine) else raw))
            continue
        try:
            item = ConsentLine.model_validate(raw)
            if item.at > now:
                raise ValueError("'at' is in the future")
            proof = item.proof()
            for c in item.choices:
                check_choice(view, Choice(c.kind, c.scope, c.granted), proof.method)
            check_evidence(view, proof)
        except ValidationError as exc:
            where = [
                f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in exc.errors()
            ]
            report.errors.append((number, "; ".join(where)))
            continue
        except (PrivaultError, ValueError) as exc:
            report.errors.append((number, str(exc)))
            continue
        yield _Checked(number, item)


def _batches(items: Iterator[_Checked], size: int) -> Iterator[list[_Checked]]:
    batch: list[_Checked] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _store(
    deps: Deps,
    tenant_key: str,
    actor: str,
    batch: list[_Checked],
    now: datetime,
    report: ConsentImportReport,
) -> None:
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        found = uow.consent.facts(sorted({c.record.subject for c in batch}))
        subjects = {ref: facts for ref, (facts, _) in found.items() if not facts.erased}
        notices = _notices(uow, {c.record.notice_version for c in batch})
        known: list[_Checked] = []
        for c in batch:
            if c.record.subject not in subjects:
                report.errors.append((c.line, f"no subject '{c.record.subject}'"))
            elif c.record.notice_version not in notices:
                report.errors.append((c.line, f"no notice version '{c.record.notice_version}'"))
            else:
                known.append(c)
        holders = sorted({f"s:{subjects[c.record.subject].id}" for c in known})
        states = {h: load_state(v[0]) for h, v in uow.consent.states(holders, lock=True).items()}
        rows, owners = _rows(known, subjects, notices, actor)
        stored = [with_id(r, i) for r, i in zip(rows, uow.consent.append(rows), strict=True)]
        for row in stored:
            apply(states, fold_row(row))
        save_states(uow, states, None, None, now)
        record(uow, [audit_entry(r, actor, u) for r, u in zip(stored, owners, strict=True)], now)
        uow.commit()
    report.records += len(known)
    report.events += len(stored)


def _notices(uow: UnitOfWork, wanted: set[str | None]) -> dict[str | None, str | None]:
    """The full id of each notice version named (None: the latest); unknown ones are left out."""
    found: dict[str | None, str | None] = {}
    for name in wanted:
        try:
            found[name] = notice_version(uow, name)
        except PrivaultError:
            continue
    return found


def _rows(
    items: list[_Checked],
    subjects: dict[str, SubjectFacts],
    notices: dict[str | None, str | None],
    actor: str,
) -> tuple[list[ConsentEventRecord], list[str]]:
    """Ledger rows in time order, and the uid of each row's subject (for its audit entry)."""
    rows: list[ConsentEventRecord] = []
    owners: list[str] = []
    for item in sorted(items, key=lambda c: (c.record.at, c.line)):
        line, subject = item.record, subjects[item.record.subject]
        notice = notices[line.notice_version]
        for c in line.choices:
            choice = Choice(c.kind, c.scope, c.granted)
            rows.append(event_row(choice, subject.id, None, line.proof(), notice, actor, line.at))
            owners.append(subject.uid)
    return rows, owners


def parse_json_lines(lines: Iterable[bytes | str]) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON or a BadLine) for each non-blank line; a binary line is a BadLine."""
    return json_lines(lines)
