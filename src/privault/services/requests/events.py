"""The webhook events of request use cases: queued with the change, sent after its commit."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import structlog

from privault.core.ports import UnitOfWork
from privault.errors import PrivaultError
from privault.services.deps import Deps
from privault.services.webhooks import deliver_due, enqueue_event

log = structlog.get_logger(__name__)


def queue_event(
    deps: Deps,
    uow: UnitOfWork,
    tenant_key: str,
    event: str,
    body: dict[str, Any],
    at: datetime,
) -> None:
    """Queue a webhook event in the change's transaction; where ``deps.webhooks_now`` says so,
    the tenant's queued webhooks are sent once it commits (``uow.on_commit``)."""
    enqueue_event(uow, event, body, at)
    if deps.webhooks_now:
        uow.on_commit(partial(send_webhooks, deps, tenant_key))


def send_webhooks(deps: Deps, tenant_key: str) -> None:
    """Send the tenant's due webhooks now; failures stay queued for ``privault webhooks deliver``
    and the worker (the action has happened: a failing endpoint never turns it into an error)."""
    try:
        deliver_due(deps, tenant_key, timeout=2.0)
    except PrivaultError as exc:
        log.warning("webhook delivery deferred", code=exc.code)
