"""Receiving a request from any edge (the API, the privacy center, the CLI): open it, and apply at
once what needs no verification."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from privault.core.requests import UNVERIFIED_RIGHTS, parse_request
from privault.services.deps import Deps
from privault.services.fulfilment import apply_at_once
from privault.services.requests.intake import Opened, open_request


def receive_request(
    deps: Deps, tenant_key: str, raw: object, actor: str, *, received: date | None = None
) -> Opened:
    """Open a request (``intake.open_request``); an opt-out of sale or sharing, of targeted ads or
    profiling, or a limit on sensitive data needs no verification (``UNVERIFIED_RIGHTS``), so it is
    applied now and the receipt gives the state it ends in."""
    item = parse_request(raw)
    opened = open_request(deps, tenant_key, item, actor, received=received)
    if item.type not in UNVERIFIED_RIGHTS:
        return opened
    applied = apply_at_once(deps, tenant_key, opened.ref)
    return replace(opened, state=applied.state)
