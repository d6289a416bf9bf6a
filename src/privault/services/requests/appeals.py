"""Appeals: an appeal is received like any request, naming the refused one; here, which laws it runs under."""

from __future__ import annotations

from privault.core.appeals import check_appealable
from privault.core.manifest.resolve import TenantView
from privault.core.requests import RequestDetails
from privault.errors import Forbidden
from privault.services.deps import Deps
from privault.services.requests.deps import (
    load_request,
    normalised_identities,
    open_details,
)


def appealed(
    deps: Deps, view: TenantView, ref: str, identities: dict[str, list[str]]
) -> tuple[str, ...]:
    """The jurisdictions an appeal of request ``ref`` runs under (those granting an appeal).

    The appeal must name at least one identity of the refused request (so a reference alone does
    not let a stranger appeal, or read the reasons); otherwise NotFound / Conflict /
    PolicyViolation / Forbidden saying why it cannot be appealed.
    """
    tenant_key = view.tenant.key
    with deps.make_uow() as uow:
        original = load_request(uow, tenant_key, ref, lock=False)
    laws = check_appealable(original)
    theirs = normalised_identities(view, open_details(deps, tenant_key, original))
    given = normalised_identities(view, RequestDetails(identities=identities))
    if not any(set(given.get(k, ())) & set(v) for k, v in theirs.items()):
        raise Forbidden(
            f"the appeal must name an email address or phone number given in {ref}",
            code="access.denied",
        )
    return laws
