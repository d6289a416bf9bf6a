"""The CCPA request log (11 CCR §7101(b)) and the yearly request metrics (11 CCR §7102), read-only.

Both read the request records kept for ``PRIVAULT_REQUEST_RECORD_MONTHS`` (at least 24, §7101(a));
the metrics count the Californian requests received in a calendar year, each with its response as it
stands when the report is made.
"""

from __future__ import annotations

from datetime import date

from privault.core.request_records import LogEntry, Metrics, log_entry, metrics
from privault.errors import InvalidInput
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant


def request_log(deps: Deps, tenant_key: str, first: date, last: date) -> list[LogEntry]:
    """The §7101(b) log of the requests received from ``first`` to ``last`` (both included)."""
    if last < first:
        raise InvalidInput("the log's last day is before its first", code="request.invalid")
    with deps.read_uow() as uow:  # may lag a little: a replica's, if one keeps up
        bind_tenant(uow, tenant_key)
        found = uow.requests.received_between(first, last)
    return [log_entry(r) for r in found]


def request_metrics(deps: Deps, tenant_key: str, year: int | None = None) -> Metrics:
    """The §7102 metrics of ``year`` (default: the previous calendar year, the one due by July 1)."""
    this_year = deps.clock.now().year
    wanted = this_year - 1 if year is None else year
    if not 2020 <= wanted <= this_year:
        raise InvalidInput(
            f"the year must be from 2020 (the CCPA's first) to {this_year}", code="request.invalid"
        )
    with deps.read_uow() as uow:
        bind_tenant(uow, tenant_key)
        found = uow.requests.received_between(date(wanted, 1, 1), date(wanted, 12, 31))
    return metrics(wanted, found, deps.settings.ccpa_consumers_per_year)
