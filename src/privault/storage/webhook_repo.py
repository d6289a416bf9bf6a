"""SQL implementation of the webhooks port: the bound tenant's endpoints and their delivery queue
(an endpoint's events kept comma-separated, a delivery's status as its name)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from privault.core.webhook_ports import (
    DeliveryChange,
    DeliveryRecord,
    DeliveryStatus,
    NewDelivery,
    NewWebhook,
    WebhookRecord,
)
from privault.storage import tables as t
from privault.storage.base import BoundRepository

WAITING_DELIVERIES = [DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value]


def _webhook(row: t.Webhook) -> WebhookRecord:
    return WebhookRecord(
        id=row.id,
        url=row.url,
        events=tuple(row.events.split(",")),
        kek_version=row.kek_version,
        wrapped_key=row.wrapped_key,
        sealed_secret=row.sealed_secret,
        active=row.active,
    )


def _delivery(row: t.WebhookDelivery) -> DeliveryRecord:
    return DeliveryRecord(
        id=row.id,
        webhook_id=row.webhook_id,
        msg_id=row.msg_id,
        event=row.event,
        body=row.body,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        delivered_at=row.delivered_at,
    )


def _outcome(change: DeliveryChange) -> dict[str, object]:
    values: dict[str, object] = {"status": change.status.value, "last_error": change.last_error}
    kept = {
        "attempts": change.attempts,
        "next_attempt_at": change.next_attempt_at,
        "delivered_at": change.delivered_at,
    }
    return values | {name: value for name, value in kept.items() if value is not None}


class SqlWebhooks(BoundRepository):
    """The bound tenant's webhook endpoints and their delivery queue."""

    def add(self, new: NewWebhook) -> int:
        """Store an endpoint, active."""
        row = t.Webhook(
            tenant_id=self.tenant_id,
            url=new.url,
            events=",".join(new.events),
            kek_version=new.kek_version,
            wrapped_key=new.wrapped_key,
            sealed_secret=new.sealed_secret,
            active=True,
            created_at=new.created_at,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def endpoints(self) -> list[WebhookRecord]:
        """Every endpoint."""
        return [_webhook(r) for r in self.session.scalars(select(t.Webhook).order_by(t.Webhook.id))]

    def remove(self, webhook_id: int) -> bool:
        """Deactivate an endpoint."""
        stmt = update(t.Webhook).where(t.Webhook.id == webhook_id).values(active=False)
        return bool(self.session.execute(stmt).rowcount)  # type: ignore[attr-defined]

    def enqueue(self, new: NewDelivery) -> int:
        """Queue one delivery, pending and due at once."""
        row = t.WebhookDelivery(
            tenant_id=self.tenant_id,
            webhook_id=new.webhook_id,
            msg_id=new.msg_id,
            event=new.event,
            body=new.body,
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            next_attempt_at=new.queued_at,
            created_at=new.queued_at,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def due(self, now: datetime, limit: int = 100) -> list[DeliveryRecord]:
        """Deliveries waiting and due, oldest first."""
        stmt = (
            select(t.WebhookDelivery)
            .where(
                t.WebhookDelivery.status.in_(WAITING_DELIVERIES),
                t.WebhookDelivery.next_attempt_at <= now,
            )
            .order_by(t.WebhookDelivery.id)
            .limit(limit)
        )
        return [_delivery(r) for r in self.session.scalars(stmt)]

    def get_delivery(self, delivery_id: int) -> DeliveryRecord | None:
        """One delivery."""
        stmt = select(t.WebhookDelivery).where(t.WebhookDelivery.id == delivery_id)
        row = self.session.scalar(stmt)
        return _delivery(row) if row else None

    def claim_delivery(self, delivery_id: int, now: datetime, until: datetime) -> bool:
        """Take one due delivery for sending until ``until`` (a sender that dies loses it then);
        False if another sender has it or it is no longer due."""
        result = self.session.execute(
            update(t.WebhookDelivery)
            .where(
                t.WebhookDelivery.id == delivery_id,
                t.WebhookDelivery.status.in_(WAITING_DELIVERIES),
                t.WebhookDelivery.next_attempt_at <= now,
            )
            .values(status=DeliveryStatus.SENDING.value, next_attempt_at=until)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def update_delivery(self, delivery_id: int, change: DeliveryChange) -> None:
        """Record an attempt's outcome."""
        self.session.execute(
            update(t.WebhookDelivery)
            .where(t.WebhookDelivery.id == delivery_id)
            .values(_outcome(change))
        )

    def deliveries(self, limit: int = 50) -> list[DeliveryRecord]:
        """The newest deliveries."""
        stmt = select(t.WebhookDelivery).order_by(t.WebhookDelivery.id.desc()).limit(limit)
        return [_delivery(r) for r in self.session.scalars(stmt)]

    def endpoint(self, webhook_id: int) -> WebhookRecord | None:
        """One endpoint."""
        row = self.session.scalar(select(t.Webhook).where(t.Webhook.id == webhook_id))
        return _webhook(row) if row else None
