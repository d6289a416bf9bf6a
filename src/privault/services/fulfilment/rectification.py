"""Rectification: vault values corrected; fields held in datastores become tasks."""

from __future__ import annotations

from dataclasses import dataclass, replace

from privault.core.manifest.resolve import TenantView
from privault.core.requests import RequestDetails, RequestRecord
from privault.services.audit import Entry, record
from privault.services.cpni_alerts import Write, account_change
from privault.services.deps import Deps
from privault.services.fulfilment.notify import _art19
from privault.services.fulfilment.staged import (
    SYSTEM_ACTOR,
    Closing,
    Outcome,
    Staged,
    _cipher,
    _datastore_access,
    _subject,
)


@dataclass
class _RectifyStaged(Staged):
    view: TenantView
    details: RequestDetails
    in_datastores: dict[str, list[str]]

    def commit(self, closing: Closing) -> None:
        """Correct vault values; what lives in datastores becomes a task per datastore."""
        deps, uow, tenant_key, tenant_id, request, outcome = closing
        corrections = self.details.corrections
        subject = _subject(uow, request)
        done: list[str] = []
        categories: set[str] = set()
        if subject is not None and corrections:
            cipher = _cipher(deps, tenant_key, tenant_id, subject)
            at = deps.clock.now()
            current = {f.field: f for f in uow.subjects.fields([subject.id])}
            rows = [
                replace(current[name], updated_at=at, ciphertext=cipher.seal_value(name, value))
                for name, value in corrections.items()
                if name in current
            ]
            if rows:
                changed = Write({r.category: corrections[r.field] for r in rows})  # FCC-AUTH-2
                alert = account_change(
                    uow, deps.manifest, self.view, cipher, subject, changed, SYSTEM_ACTOR, at
                )
                outcome.alerts.extend([alert] if alert else [])
                uow.subjects.put_fields(rows)
                done = [r.field for r in rows]
                categories = {r.category for r in rows}
                record(
                    uow,
                    [
                        Entry(
                            SYSTEM_ACTOR,
                            "vault:subject:update",
                            subject.uid,
                            None,
                            "ok",
                            {"fields": done, "reason": f"request:{request.ref}"},
                        )
                    ],
                    at,
                )
        for key, names in sorted(self.in_datastores.items()):
            outcome.tasks.append((key, f"Correct {', '.join(names)} for request {request.ref}"))
        elsewhere = {n for names in self.in_datastores.values() for n in names}
        unknown = sorted(set(corrections) - set(done) - elsewhere)
        outcome.result |= {"corrected": done, "not_held": unknown}
        if done:
            outcome.response.append(f"We corrected: {', '.join(sorted(done))}.")
        if unknown:
            outcome.response.append(f"We hold no {', '.join(unknown)} about you.")
        _art19(self.view, categories, outcome, "correction")


def _rectification(
    deps: Deps,
    view: TenantView,
    request: RequestRecord,
    details: RequestDetails,
    identities: dict[str, list[str]],
    outcome: Outcome,
) -> Staged:
    wanted = set(details.corrections)
    found = _datastore_access(deps, view.tenant.key, identities, outcome)
    in_stores = {
        key: sorted(wanted & {c for rows in access.collections.values() for c in rows.columns})
        for key, access in found.items()
    }
    return _RectifyStaged(view, details, {k: v for k, v in in_stores.items() if v})
