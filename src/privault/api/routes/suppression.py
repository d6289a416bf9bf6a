"""Suppression lists over HTTP (CSV), for dialers and mail senders."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from privault.http.deps import ContainerDep, PrincipalDep
from privault.services.suppression import suppression_csv, suppression_list

router = APIRouter(prefix="/v1/suppression", tags=["consent"])


@router.get("", response_class=PlainTextResponse)
def export(
    principal: PrincipalDep,
    container: ContainerDep,
    channel: str = Query(..., pattern="^(email|sms|phone)$"),
    brand: str | None = Query(None),
) -> PlainTextResponse:
    """The current suppression list of a channel as CSV: value, subject, rule, since."""
    rows = suppression_list(container.deps, principal, channel, brand)
    return PlainTextResponse(suppression_csv(rows), media_type="text/csv")
