"""Webhooks: endpoints told of request state changes, signed Standard Webhooks style, retried.

A state change queues one delivery per matching endpoint in the same transaction as the change, so a
change is never announced unless it happened and never lost if it did. ``deliver_due`` sends what is
due (after each use case, from ``privault webhooks deliver``, and from the worker), backing off between
attempts. Bodies carry the request reference, type and states, never personal data.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from privault.core.ports import UnitOfWork
from privault.core.webhook_ports import (
    DeliveryChange,
    DeliveryRecord,
    DeliveryStatus,
    NewDelivery,
    NewWebhook,
    WebhookRecord,
)
from privault.crypto.keyring import Keyring
from privault.crypto.sealed import Sealed, open_record, seal_record
from privault.errors import InvalidInput, NotFound, PrivaultError
from privault.outbound.webhooks import check_url, deliver, message_body, new_secret
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant

BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
SENDING_LEASE = timedelta(minutes=2)  # a sender that dies loses its claim on a delivery after this
EVENTS = (
    "request.received",
    "request.verified",
    "request.in_progress",
    "request.paused",
    "request.extended",
    "request.incomplete",
    "request.completed",
    "request.denied",
    "request.overdue",
    "request.due_soon",
    "request.due_today",
)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A webhook endpoint (its secret is shown once, when it is added)."""

    id: int
    url: str
    events: tuple[str, ...]
    active: bool


def _check_events(events: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [e for e in events if e != "*" and e not in EVENTS]
    if unknown:
        raise InvalidInput(
            f"unknown webhook events: {', '.join(unknown)}; known: * or {', '.join(EVENTS)}",
            code="webhook.invalid_event",
        )
    return events or ("*",)


def add_webhook(
    deps: Deps,
    tenant_key: str,
    actor: str,
    url: str,
    events: tuple[str, ...] = ("*",),
) -> tuple[Endpoint, str]:
    """Register an endpoint; returns it with its signing secret (``whsec_...``), shown only now."""
    check_url(url)
    if len(url) > 500:
        raise InvalidInput("a webhook URL is at most 500 characters", code="webhook.invalid_url")
    wanted = _check_events(events)
    with deps.make_uow() as uow:
        tenant = bind_tenant(uow, tenant_key)
        secret, at = new_secret(), deps.clock.now()
        name = secrets.token_hex(8)
        sealed = seal_record(deps.keyring, tenant_key, tenant.id, "webhook", name, secret.encode())
        blob = name.encode() + b"|" + sealed.ciphertext
        new = NewWebhook(url, wanted, sealed.kek_version, sealed.wrapped_key, blob, at)
        webhook_id = uow.webhooks.add(new)
        record(uow, [Entry(actor, "webhook:change", None, None, "ok", {"added": webhook_id})], at)
        uow.commit()
    return Endpoint(webhook_id, url, wanted, True), secret


def list_webhooks(deps: Deps, tenant_key: str) -> list[Endpoint]:
    """The tenant's endpoints."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        return [Endpoint(w.id, w.url, w.events, w.active) for w in uow.webhooks.endpoints()]


def remove_webhook(deps: Deps, tenant_key: str, actor: str, webhook_id: int) -> None:
    """Stop sending to an endpoint."""
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        if not uow.webhooks.remove(webhook_id):
            raise NotFound(f"no webhook {webhook_id}", code="webhook.unknown")
        entry = Entry(actor, "webhook:change", None, None, "ok", {"removed": webhook_id})
        record(uow, [entry], deps.clock.now())
        uow.commit()


def enqueue_event(uow: UnitOfWork, event: str, body: dict[str, Any], at: datetime) -> int:
    """Queue ``event`` for every active endpoint that wants it (in the caller's transaction)."""
    queued = 0
    for hook in uow.webhooks.endpoints():
        wanted = hook.events
        if not hook.active or ("*" not in wanted and event not in wanted):
            continue
        msg_id = "msg_" + secrets.token_hex(12)
        uow.webhooks.enqueue(NewDelivery(hook.id, msg_id, event, message_body(event, at, body), at))
        queued += 1
    return queued


@dataclass(frozen=True, slots=True)
class Delivered:
    """What one delivery run did."""

    delivered: int
    retrying: int
    failed: int


def deliver_due(deps: Deps, tenant_key: str, timeout: float = 5.0) -> Delivered:
    """Send every due delivery once (in batches until none is due); failures are retried later
    with backoff, then given up."""
    delivered = retrying = failed = 0
    seen: set[int] = set()
    while True:
        with deps.make_uow() as uow:
            tenant = bind_tenant(uow, tenant_key)
            now = deps.clock.now()
            due = [(d.id, d.webhook_id) for d in uow.webhooks.due(now) if d.id not in seen]
        if not due:
            return Delivered(delivered, retrying, failed)
        seen.update(d for d, _ in due)
        done = _deliver_batch(deps, tenant_key, tenant.id, due, timeout)
        delivered, retrying, failed = (
            delivered + done.delivered,
            retrying + done.retrying,
            failed + done.failed,
        )


def _deliver_batch(
    deps: Deps,
    tenant_key: str,
    tenant_id: int,
    due: list[tuple[int, int]],
    timeout: float,
) -> Delivered:
    """Each delivery: read it (and its endpoint's secret), POST outside any transaction (the
    database is never locked during a network call), record the outcome in a new transaction."""
    delivered = retrying = failed = 0
    make_uow, keyring, clock = deps.make_uow, deps.keyring, deps.clock
    for delivery_id, webhook_id in due:
        with make_uow() as uow:
            bind_tenant(uow, tenant_key)
            now = clock.now()
            # claimed one by one (until a lease runs out): two senders never post the same message
            claimed = uow.webhooks.claim_delivery(delivery_id, now, now + SENDING_LEASE)
            delivery = uow.webhooks.get_delivery(delivery_id)
            hook = uow.webhooks.endpoint(webhook_id)
            uow.commit()
        if not claimed or delivery is None or hook is None:
            continue
        now = clock.now()
        if not hook.active:
            change = DeliveryChange(DeliveryStatus.FAILED, "endpoint removed")
        else:
            secret = _secret(keyring, tenant_key, tenant_id, hook)
            change = _attempt(hook, secret, delivery, now, timeout)
        delivered += change.status == DeliveryStatus.DELIVERED
        failed += change.status == DeliveryStatus.FAILED
        retrying += change.status == DeliveryStatus.PENDING
        with make_uow() as uow:
            bind_tenant(uow, tenant_key)
            uow.webhooks.update_delivery(delivery_id, change)
            uow.commit()
    return Delivered(delivered, retrying, failed)


def _secret(keyring: Keyring, tenant_key: str, tenant_id: int, hook: WebhookRecord) -> str:
    name, _, blob = hook.sealed_secret.partition(b"|")
    sealed = Sealed(hook.kek_version, hook.wrapped_key, blob)
    return open_record(keyring, tenant_key, tenant_id, "webhook", name.decode(), sealed).decode()


def _attempt(
    hook: WebhookRecord, secret: str, delivery: DeliveryRecord, now: datetime, timeout: float
) -> DeliveryChange:
    """POST once; what to record: delivered, failed for good, or the next attempt's time."""
    attempts = delivery.attempts + 1
    try:
        result = deliver(
            hook.url, secret, delivery.msg_id, int(now.timestamp()), delivery.body.encode(), timeout
        )
    except PrivaultError as exc:  # an endpoint that can never be reached (a bad URL)
        return DeliveryChange(DeliveryStatus.FAILED, exc.code, attempts)
    if result.ok:
        return DeliveryChange(DeliveryStatus.DELIVERED, None, attempts, delivered_at=now)
    error = (result.error or "")[:200]
    if attempts > len(BACKOFF):
        return DeliveryChange(DeliveryStatus.FAILED, error, attempts)
    return DeliveryChange(DeliveryStatus.PENDING, error, attempts, now + BACKOFF[attempts - 1])
