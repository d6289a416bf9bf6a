"""Lifting a restriction of processing tells the person first (GDPR Art. 18(3)), on both engines: a
message before the lift is committed, how they were told in the ledger, a refusal where nobody can
be reached, and no lift when the message cannot be sent.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.consent import Choice, Kind, Method, Via
from privault.errors import ConnectorError, PolicyViolation
from privault.outbound.messenger import Message, read_outbox
from privault.services.consent import Evidence, Holder, history, record_choices
from privault.services.decisions import decide
from privault.services.deps import Deps
from privault.services.restrictions import restrict_processing
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault_import import create_subject

EMAIL = "ana.lima@example.com"
TENANT = "northwind"
PROOF = Evidence(Method.REQUEST, Via.API)


class _Broken:
    """A messenger whose every send fails."""

    def send(self, message: Message) -> None:
        del message
        raise ConnectorError("the mail server is down", code="messenger.failed")


@pytest.fixture
def c(container: Container) -> Container:
    """The manifest applied; Ana (with her e-mail) and Bo (no contact details) in the vault."""
    apply_manifest(container.deps)
    with container.uow() as uow:
        tenant_id = bind_tenant(uow, TENANT).id
    officer = Principal(tenant_id, TENANT, "privacy-officer", "cli", "test")
    for ref, identities in (("ana", {"email": EMAIL}), ("bo", {})):
        create_subject(
            container.deps, officer,
            {"subject": ref, "identities": identities, "data": {"user.name": ref},
             "source": "direct", "purpose": "customer-service"},
        )  # fmt: skip
    return container


def _restrict(
    c: Container,
    refs: list[str],
    *,
    restricted: bool,
    otherwise: str = "",
    deps: Deps | None = None,
) -> int:
    return restrict_processing(
        deps or c.deps, TENANT, "staff:alice", refs, None, restricted=restricted,
        reference=None, evidence=PROOF, informed_otherwise=otherwise,
    )  # fmt: skip


def _allowed(c: Container, ref: str) -> bool:
    found = decide(c.deps, TENANT, ref, "customer-service", at=c.clock.now())
    return found.allowed


def _informed(c: Container, ref: str) -> str | None:
    last = history(c.deps, TENANT, Holder(subject=ref))[-1]
    informed: str | None = json.loads(last.evidence).get("informed")
    return informed


def _lifts(c: Container) -> list[dict[str, str]]:
    return [m for m in read_outbox(c.settings.outbox_path) if m["kind"] == "restriction_lifted"]


def test_lifting_tells_the_person_first_and_records_how(c: Container) -> None:
    """Ana gets a message saying the restriction is lifted; her ledger event says by e-mail."""
    _restrict(c, ["ana"], restricted=True)
    assert not _allowed(c, "ana")
    assert _lifts(c) == []  # restricting tells nobody
    assert _restrict(c, ["ana"], restricted=False) == 1
    assert _allowed(c, "ana")
    [told] = _lifts(c)
    assert told["to"] == EMAIL
    assert "lifting the restriction" in told["body"]
    assert _informed(c, "ana") == "email"


def test_lifting_for_someone_who_cannot_be_reached_is_refused(c: Container) -> None:
    """Bo has no e-mail or phone: restriction.cannot_inform; nobody is told, nothing is lifted."""
    _restrict(c, ["ana", "bo"], restricted=True)
    with pytest.raises(PolicyViolation) as caught:
        _restrict(c, ["ana", "bo"], restricted=False)
    assert caught.value.code == "restriction.cannot_inform"
    assert "'bo'" in caught.value.message
    assert not _allowed(c, "ana")
    assert not _allowed(c, "bo")
    assert _lifts(c) == []


def test_lifting_records_how_staff_told_someone_with_no_contact_details(c: Container) -> None:
    """Staff say how Bo was told: lifted, and his event records it."""
    _restrict(c, ["bo"], restricted=True)
    _restrict(c, ["bo"], restricted=False, otherwise="letter posted 2026-03-01")
    assert _allowed(c, "bo")
    assert _informed(c, "bo") == "otherwise: letter posted 2026-03-01"


def test_a_notice_that_cannot_be_sent_lifts_nothing(c: Container) -> None:
    """The messenger fails: restriction.notice_failed, and the restriction stays."""
    _restrict(c, ["ana"], restricted=True)
    with pytest.raises(PolicyViolation) as caught:
        _restrict(c, ["ana"], restricted=False, deps=replace(c.deps, messenger=_Broken()))
    assert caught.value.code == "restriction.notice_failed"
    assert not _allowed(c, "ana")


def test_the_general_consent_call_cannot_lift_a_restriction(c: Container) -> None:
    """A restriction granted back through record_choices is refused and nothing is written: only the
    restriction service, which tells the person first, lifts one; an import records past lifts."""
    _restrict(c, ["ana"], restricted=True)
    lift = [Choice(Kind.RESTRICTION, "*", True)]
    with pytest.raises(PolicyViolation) as caught:
        record_choices(c.deps, TENANT, "t", Holder(subject="ana"), lift, PROOF, c.clock.now())
    assert caught.value.code == "restriction.lift_elsewhere"
    assert not _allowed(c, "ana")
    imported = Evidence(Method.IMPORT, Via.API)
    record_choices(c.deps, TENANT, "t", Holder(subject="ana"), lift, imported, c.clock.now())
    assert _allowed(c, "ana")
