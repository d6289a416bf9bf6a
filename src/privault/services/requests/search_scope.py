"""Recording the search scope of an access request (UK GDPR Art. 15(1A)): a step on the timeline
and an audit entry, in one transaction; the request's state does not change."""

from __future__ import annotations

from privault.core.jurisdictions import Right
from privault.core.requests import RequestRecord
from privault.core.search_scope import SearchScope
from privault.errors import InvalidInput
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.requests.deps import load_request

SCOPED_RIGHTS = frozenset({Right.ACCESS, Right.PORTABILITY})


def record_search_scope(
    deps: Deps, tenant_key: str, ref: str, actor: str, scope: SearchScope
) -> RequestRecord:
    """Record what was searched for an access or portability request, and what was not and why."""
    at = deps.clock.now()
    with deps.make_uow() as uow:
        request = load_request(uow, tenant_key, ref)
        if request.type not in SCOPED_RIGHTS:
            raise InvalidInput(
                f"a search scope is recorded for access and portability requests, not "
                f"{request.type.value}",
                code="request.scope_invalid",
            )
        uow.requests.add_event(
            request.id, at, actor, "search_scope", note="", details=scope.as_json()
        )
        details = {
            "ref": ref,
            "searched": len(scope.searched),
            "left_out": [system for system, _ in scope.left_out],
        }
        record(uow, [Entry(actor, "request:search_scope", None, None, "ok", details)], at)
        uow.commit()
    return request
