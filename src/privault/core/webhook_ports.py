"""The port of the webhooks: the bound tenant's endpoints and their delivery queue, with the typed
rows it stores and reads. Storage implements it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class DeliveryStatus(StrEnum):
    """Where a delivery is: waiting, claimed by a sender, delivered, or given up."""

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class WebhookRecord:
    """A webhook endpoint as stored (its secret sealed)."""

    id: int
    url: str
    events: tuple[str, ...]
    kek_version: int
    wrapped_key: bytes
    sealed_secret: bytes
    active: bool


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One queued webhook delivery."""

    id: int
    webhook_id: int
    msg_id: str
    event: str
    body: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewWebhook:
    """An endpoint to store, active, with its signing secret sealed."""

    url: str
    events: tuple[str, ...]
    kek_version: int
    wrapped_key: bytes
    sealed_secret: bytes
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A message to queue for one endpoint: pending, due at once (``queued_at``)."""

    webhook_id: int
    msg_id: str
    event: str
    body: str
    queued_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryChange:
    """The outcome of an attempt; ``attempts``, ``next_attempt_at`` and ``delivered_at`` are kept
    when None."""

    status: DeliveryStatus
    last_error: str | None
    attempts: int | None = None
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None


class WebhookRepository(Protocol):
    """Webhook endpoints of the bound tenant and their delivery queue."""

    def add(self, new: NewWebhook) -> int:
        """Store an endpoint."""
        ...

    def endpoints(self) -> list[WebhookRecord]:
        """Every endpoint."""
        ...

    def remove(self, webhook_id: int) -> bool:
        """Deactivate an endpoint."""
        ...

    def enqueue(self, new: NewDelivery) -> int:
        """Queue a delivery."""
        ...

    def due(self, now: datetime, limit: int = 100) -> list[DeliveryRecord]:
        """Deliveries due."""
        ...

    def get_delivery(self, delivery_id: int) -> DeliveryRecord | None:
        """One delivery."""
        ...

    def claim_delivery(self, delivery_id: int, now: datetime, until: datetime) -> bool:
        """Take one due delivery for sending; False if another sender has it."""
        ...

    def update_delivery(self, delivery_id: int, change: DeliveryChange) -> None:
        """Record an attempt."""
        ...

    def deliveries(self, limit: int = 50) -> list[DeliveryRecord]:
        """The newest deliveries."""
        ...

    def endpoint(self, webhook_id: int) -> WebhookRecord | None:
        """One endpoint."""
        ...
