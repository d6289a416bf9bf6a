"""Webhooks of request use cases go out after the commit only where the deps ask for it: the web
app (``create_app`` sets ``webhooks_now``) tries them at once, the CLI and the worker leave them
queued for ``webhooks deliver``."""

from __future__ import annotations

import pytest

from privault.bootstrap import Container
from privault.http.app import create_app
from privault.services.requests import open_request
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.webhooks import add_webhook

NOWHERE = "http://127.0.0.1:9/hook"  # nothing listens: a delivery tried is kept for a retry
BODY = {"type": "access", "identities": {"email": ["ana@example.com"]}, "jurisdiction": "us-ca"}


@pytest.fixture
def c(container: Container) -> Container:
    """The template manifest applied and a webhook endpoint registered for bluewave."""
    apply_manifest(container.deps)
    add_webhook(container.deps, "bluewave", "test", NOWHERE)
    return container


def _attempts(c: Container) -> list[int]:
    with c.uow() as uow:
        bind_tenant(uow, "bluewave")
        return [d.attempts for d in uow.webhooks.deliveries()]


def test_outside_the_web_app_a_webhook_waits_in_the_queue(c: Container) -> None:
    """The CLI's container: the request.received delivery is queued, not tried."""
    open_request(c.deps, "bluewave", BODY, "test")
    assert _attempts(c) == [0]


def test_in_the_web_app_a_webhook_is_tried_right_after_the_commit(c: Container) -> None:
    """The app's container: tried once after the commit; the failure leaves it queued."""
    create_app(c)
    opened = open_request(c.deps, "bluewave", BODY, "test")
    assert opened.ref.startswith("R-")
    assert _attempts(c) == [1]
