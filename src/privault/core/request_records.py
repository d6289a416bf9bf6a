"""The request log the CCPA asks for (11 CCR §7101) and the yearly metrics of a business that handles
the data of 10,000,000 or more Californians (11 CCR §7102). Pure.

§7101(a): records of consumer requests and how the business responded are kept at least 24 months
(``Settings.request_record_months``, at least 24). §7101(b): a ticket or log "includes the date of
request, nature of request, manner in which the request was made, the date of the business's
response, the nature of the response, and the basis for the denial of the request if the request is
denied in whole or in part" — the six fields of :class:`LogEntry` (with the request's reference).

§7102(a)(1): for the previous calendar year, per request to delete, correct, know, opt-out of
sale/sharing and limit: the number received, complied with in whole or in part, and denied, and the
median or mean number of days within which the business substantively responded; §7102(a)(2):
disclosed by July 1 of every calendar year, where the business may break the denials down by reason.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from privault.core.deadlines import local_day
from privault.core.laws.model import Right
from privault.core.requests import DenialCode, RequestRecord, State

RECORD_MONTHS = 24  # 11 CCR §7101(a): "for at least 24 months"
# 11 CCR §7101(b), in its order: date of request, nature of request, manner in which it was made,
# date of the business's response, nature of the response, basis for a denial in whole or in part.
RECORD_FIELDS = (
    "requested_on",
    "nature",
    "manner",
    "responded_on",
    "response",
    "denial_basis",
)
METRICS_THRESHOLD = 10_000_000  # 11 CCR §7102(a): "10,000,000 or more consumers in a calendar year"
DISCLOSE_MONTH, DISCLOSE_DAY = 7, 1  # 11 CCR §7102(a)(2): "by July 1 of every calendar year"
CALIFORNIA = "us-ca"


class Response(StrEnum):
    """The nature of the business's response."""

    PENDING = "pending"
    COMPLIED = "complied"
    COMPLIED_IN_PART = "complied_in_part"
    DENIED = "denied"


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One request in the §7101(b) log."""

    ref: str
    requested_on: date
    nature: str
    manner: str
    responded_on: date | None
    response: Response
    denial_basis: str


def log_entry(request: RequestRecord) -> LogEntry:
    """A request as the §7101(b) log shows it (the basis of a partial denial: the exception codes of
    what was kept)."""
    kept = _kept_codes(request.result)
    if request.state is State.DENIED:
        response, basis = Response.DENIED, request.denial_code or ""
    elif request.state is State.COMPLETED:
        response = Response.COMPLIED_IN_PART if kept else Response.COMPLIED
        basis = ", ".join(kept)
    else:
        response, basis = Response.PENDING, ""
    closed = request.closed_at
    responded = local_day(request.jurisdiction, closed) if closed is not None else None
    return LogEntry(
        request.ref,
        request.received_on,
        request.type.value,
        request.channel.value,
        responded if response is not Response.PENDING else None,
        response,
        basis,
    )


def _kept_codes(result: Mapping[str, object]) -> list[str]:
    """The exception codes of the data an erasure kept (top level: datastores; ``vault``)."""
    vault = result.get("vault")
    items = [result.get("retained"), vault.get("retained") if isinstance(vault, dict) else None]
    codes = {
        str(item.get("code"))
        for group in items
        if isinstance(group, list)
        for item in group
        if isinstance(item, dict) and item.get("code")
    }
    return sorted(codes)


class Kind(StrEnum):
    """The request types §7102(a)(1) counts."""

    DELETE = "delete"
    CORRECT = "correct"
    KNOW = "know"
    OPT_OUT = "opt_out_sale_sharing"
    LIMIT = "limit"


KIND_OF: dict[Right, Kind] = {
    Right.ERASURE: Kind.DELETE,
    Right.RECTIFICATION: Kind.CORRECT,
    Right.ACCESS: Kind.KNOW,
    Right.PORTABILITY: Kind.KNOW,
    Right.OPT_OUT_SALE: Kind.OPT_OUT,
    Right.LIMIT_SENSITIVE: Kind.LIMIT,
}
# §7102(a)(2): the reasons a business may give for its denials.
DENIAL_REASONS: dict[str, str] = {
    DenialCode.IDENTITY_NOT_VERIFIED.value: "not_verifiable",
    DenialCode.AGENT_NOT_AUTHORISED.value: "not_made_by_a_consumer",
    DenialCode.EXEMPT.value: "exempt",
}


@dataclass(frozen=True, slots=True)
class KindMetrics:
    """One request type's figures for the year."""

    kind: Kind
    received: int
    complied: int  # in whole or in part
    denied: int
    median_days: float | None
    mean_days: float | None


@dataclass(frozen=True, slots=True)
class Metrics:
    """The §7102 figures of one calendar year."""

    year: int
    disclose_by: date
    consumers: int
    required: bool
    kinds: tuple[KindMetrics, ...]
    denied_because: dict[str, int]


def metrics(year: int, requests: Iterable[RequestRecord], consumers: int) -> Metrics:
    """The figures of the Californian requests received in ``year`` (their response as it stands)."""
    entries: dict[Kind, list[LogEntry]] = {k: [] for k in Kind}
    reasons: Counter[str] = Counter()
    for request in requests:
        kind = KIND_OF.get(request.type)
        if kind is None or CALIFORNIA not in request.jurisdictions:
            continue
        if request.received_on.year != year:
            continue
        entry = log_entry(request)
        entries[kind].append(entry)
        if entry.response is Response.DENIED:
            reasons[DENIAL_REASONS.get(entry.denial_basis, "other")] += 1
    return Metrics(
        year,
        date(year + 1, DISCLOSE_MONTH, DISCLOSE_DAY),
        consumers,
        consumers >= METRICS_THRESHOLD,
        tuple(_figures(kind, found) for kind, found in entries.items()),
        dict(sorted(reasons.items())),
    )


def _figures(kind: Kind, entries: list[LogEntry]) -> KindMetrics:
    complied = (Response.COMPLIED, Response.COMPLIED_IN_PART)
    days = [(e.responded_on - e.requested_on).days for e in entries if e.responded_on is not None]
    return KindMetrics(
        kind,
        len(entries),
        sum(1 for e in entries if e.response in complied),
        sum(1 for e in entries if e.response is Response.DENIED),
        float(statistics.median(days)) if days else None,
        round(statistics.fmean(days), 1) if days else None,
    )
