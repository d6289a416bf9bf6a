"""Legal holds: data that retention and whole-subject erasure must not delete, until released or
expired. A hold covers one subject, a whole tenant, or a category (and every category beneath it);
each names its reference (a case number, a regulator's letter) and may expire."""

from __future__ import annotations

import re
from datetime import date

from privault.connectors.results import ErasureException
from privault.core.manifest import Manifest
from privault.core.manifest.resolve import known_categories, tenant_view
from privault.core.ports import UnitOfWork
from privault.core.records import SubjectRecord
from privault.core.retention import HOLD_SCOPES, Events, Hold, held_categories, holding, kept_by_law
from privault.core.retention_ports import HoldRecord
from privault.core.taxonomy import is_within
from privault.core.vault import identity_category
from privault.errors import Conflict, InvalidInput, NotFound, PolicyViolation
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant

_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:/#\-]{0,199}$")
_REASON_LIMIT = 500


def _check(scope: str, reference: str, reason: str) -> None:
    if scope not in HOLD_SCOPES:
        raise InvalidInput(
            f"a hold's scope is one of {', '.join(HOLD_SCOPES)}", code="retention.invalid"
        )
    if not _REFERENCE.match(reference):
        raise InvalidInput(
            "a hold needs its reference: 1-200 letters, digits, spaces and _.:/#-",
            code="retention.invalid",
        )
    if len(reason) > _REASON_LIMIT or "\n" in reason:
        raise InvalidInput(
            f"a hold's reason is one line of at most {_REASON_LIMIT} characters",
            code="retention.invalid",
        )


def add_hold(
    deps: Deps,
    tenant_key: str,
    actor: str,
    *,
    scope: str,
    reference: str,
    subject: str | None = None,
    category: str | None = None,
    expires_on: date | None = None,
    reason: str = "",
) -> HoldRecord:
    """Place a hold on a subject (by ref), the tenant, or a category; audited."""
    _check(scope, reference, reason)
    view = tenant_view(deps.manifest, tenant_key)
    today = deps.clock.now().date()
    if expires_on is not None and expires_on <= today:
        raise InvalidInput("a hold's expiry is a future day", code="retention.invalid")
    if (scope == "subject") != (subject is not None) or (scope == "category") != (
        category is not None
    ):
        raise InvalidInput(
            "a subject hold names the subject, a category hold the category, a tenant hold neither",
            code="retention.invalid",
        )
    known = known_categories(view.manifest)
    if category is not None and not any(is_within(k, category) for k in known):
        raise InvalidInput(f"unknown data category '{category}'", code="category.unknown")
    at = deps.clock.now()
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        found = uow.retention.subject(ref=subject) if subject is not None else None
        if subject is not None and (found is None or not found.live):
            raise NotFound(f"no subject '{subject}'", code="subject.unknown")
        hold = uow.holds.add(
            scope,
            found.id if found else None,
            category,
            reference,
            reason,
            actor,
            at,
            expires_on,
        )
        details = {
            "hold": hold.id,
            "scope": scope,
            "category": category,
            "reference": reference,
            "expires_on": expires_on.isoformat() if expires_on else None,
        }
        uid = found.uid if found else None
        record(uow, [Entry(actor, "retention:hold", uid, None, "ok", details)], at)
        uow.commit()
    return hold


def list_holds(deps: Deps, tenant_key: str, *, include_ended: bool = False) -> list[HoldRecord]:
    """Active holds (with ``include_ended``: released and expired ones too), oldest first."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        return uow.holds.list(include_ended=include_ended, today=deps.clock.now().date())


def release_hold(deps: Deps, tenant_key: str, hold_id: int, actor: str) -> HoldRecord:
    """Release a hold (the next sweep deletes what it kept, if due); audited."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        hold = uow.holds.get(hold_id)
        if hold is None:
            raise NotFound(f"no legal hold {hold_id}", code="hold.unknown")
        if not uow.holds.release(hold_id, at):
            raise Conflict(f"legal hold {hold_id} was released already", code="retention.invalid")
        details = {
            "hold": hold_id,
            "scope": hold.scope,
            "reference": hold.reference,
            "released": True,
        }
        record(uow, [Entry(actor, "retention:hold", None, None, "ok", details)], at)
        released = uow.holds.get(hold_id)
        uow.commit()
    assert released is not None  # noqa: S101 - read back in the same transaction
    return released


def active_holds(uow: UnitOfWork, today: date) -> list[Hold]:
    """The bound tenant's holds in force today."""
    return [h.rule_view() for h in uow.holds.list(today=today)]


def hold_exception(holds: list[Hold]) -> ErasureException | None:
    """What category holds keep, as an erasure exception (code ``legal_hold``)."""
    held = held_categories(holds)
    if not held:
        return None
    return ErasureException(held, "legal_hold", "legal hold", "a legal hold applies")


def refuse_if_held(uow: UnitOfWork, subject_id: int, categories: list[str], today: date) -> None:
    """Refuse deleting a subject's data while a hold covers the subject, the tenant or one of the
    subject's categories (``hold.active``, naming the hold's reference)."""
    holds = active_holds(uow, today)
    hold = holding(holds, subject_id, None) or next(
        (h for c in categories if (h := holding(holds, subject_id, c)) is not None), None
    )
    if hold is not None:
        raise PolicyViolation(
            f"a legal hold ({hold.reference}) keeps this subject's data", code="hold.active"
        )


def refuse_if_kept_by_law(
    uow: UnitOfWork, manifest: Manifest, tenant_key: str, subject: SubjectRecord, today: date
) -> None:
    """Refuse shredding a subject whose values a legal-obligation retention rule still keeps
    (``retention.kept_by_law``, naming the rule and its law): an erasure request keeps those values,
    restricted, and erases the rest; a staff erasure would destroy them with the subject's key."""
    rules = tenant_view(manifest, tenant_key).retention
    events = uow.retention.subject(uid=subject.uid)
    contract_end = events.contract_end_on if events else None
    activity = (events.last_activity_at if events else None) or subject.updated_at
    held = [(f.category, f.purpose, f.collected_at) for f in uow.subjects.fields([subject.id])]
    held += [
        (identity_category(i.kind), "", subject.created_at)
        for i in uow.subjects.identities([subject.id])
    ]
    for category, purpose, collected in held:
        kept = kept_by_law(
            rules, category, purpose, Events(collected, activity, contract_end), today
        )
        if kept is not None:
            until = f" until {kept.until.isoformat()}" if kept.until else ""
            raise PolicyViolation(
                f"retention rule '{kept.rule.key}' ({kept.rule.law}) keeps some of this subject's "
                f"data{until}: open an erasure request, which keeps that data restricted and "
                "erases the rest",
                code="retention.kept_by_law",
            )


def still_free(deps: Deps, tenant_key: str, subject_id: int | None) -> list[ErasureException]:
    """Right before a datastore is erased: refuse (``hold.active``) if a subject or tenant hold was
    placed meanwhile; otherwise the category holds in force now, as an exception to add."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        holds = active_holds(uow, deps.clock.now().date())
    hold = holding(holds, subject_id, None) if subject_id is not None else None
    if hold is not None:
        raise PolicyViolation(
            f"a legal hold ({hold.reference}) was placed on this subject", code="hold.active"
        )
    return [e for e in [hold_exception(holds)] if e is not None]
