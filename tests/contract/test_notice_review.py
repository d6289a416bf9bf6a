"""The privacy notice's yearly review and re-consent (CCPA-PP-1) on SQLite and PostgreSQL: the
dashboard alerts from the 11th month, and a version that rewords a consent-based purpose marks it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.core.consent import Choice, Kind, Method, Via
from privault.core.manifest import parse_manifest
from privault.errors import Forbidden
from privault.services.consent import Evidence, Holder, record_choices
from privault.services.dashboard import dashboard
from privault.services.decisions import decide
from privault.services.notices import current_notice_review, publish_notice
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault import SubjectView, show_subject
from privault.services.vault_import import create_subject

PUBLISHED = datetime(2026, 3, 31, 10, tzinfo=UTC)


@pytest.fixture
def c(container: Container) -> Container:
    """The container with the template manifest applied (publishing the notices) on ``PUBLISHED``."""
    _at(container, PUBLISHED)
    apply_manifest(container.deps)
    return container


def _at(c: Container, when: datetime) -> None:
    assert isinstance(c.clock, FixedClock)
    c.clock.at = when


def test_the_dashboard_alerts_from_the_11th_month_and_says_when_it_is_overdue(
    c: Container,
) -> None:
    """Published 31 March 2026: current; review soon on 28 February 2027; overdue on 31 March."""
    assert dashboard(c.deps, "northwind", PUBLISHED).notice_state == "current"
    soon = dashboard(c.deps, "northwind", datetime(2027, 2, 28, 12, tzinfo=UTC))
    assert (soon.notice_state, soon.notice_review_due) == ("review_soon", date(2027, 3, 31))
    late = dashboard(c.deps, "northwind", datetime(2027, 3, 31, 12, tzinfo=UTC))
    assert late.notice_state == "overdue"


def test_a_new_version_rewording_a_consent_purpose_marks_it_for_reconsent(c: Container) -> None:
    """Rewording the surveys purpose (consent) marks it, audited; the dashboard lists it."""
    assert publish_notice(c.deps, "northwind").reconsent == ()
    text = c.manifest.model_dump_json()
    reworded = parse_manifest(text.replace('"name":"Satisfaction surveys"', '"name":"Surveys"'))
    assert reworded != c.manifest
    second = publish_notice(dataclasses.replace(c.deps, manifest=reworded), "northwind")
    assert second.reconsent == ("surveys",)
    review = current_notice_review(c.deps, "northwind")
    assert review.reconsent == {"surveys": second.record.version_id}
    shown = dashboard(c.deps, "northwind", PUBLISHED)
    assert shown.reconsent == (("surveys", second.record.version_id),)


SMS = "marketing-sms"


def _reword(c: Container) -> None:
    text = c.manifest.model_dump_json()
    reworded = parse_manifest(text.replace('"name":"Marketing text messages"', '"name":"Texts"'))
    assert publish_notice(
        dataclasses.replace(c.deps, manifest=reworded), "northwind"
    ).reconsent == (SMS,)


def _decided(c: Container) -> tuple[bool, str]:
    found = decide(c.deps, "northwind", "cust-1", SMS, at=c.clock.now())
    return found.allowed, " ".join(r.rule for r in found.reasons if not r.allowed)


def _consent(c: Container) -> None:
    choice = [Choice(Kind.PURPOSE, SMS, True)]
    evidence = Evidence(Method.FORM, Via.WEB, shown="tick box: offers by text")
    record_choices(
        c.deps,
        "northwind",
        "t",
        Holder(subject="cust-1"),
        choice,
        evidence,
        c.clock.now(),
    )


def _read(c: Container, role: Principal) -> SubjectView:
    return show_subject(c.deps, role, "cust-1", SMS)


def test_a_consent_recorded_before_the_purpose_was_reworded_no_longer_counts(c: Container) -> None:
    """Consent on 31 March; the text-message purpose reworded on 1 April: the decision (cached or
    not) and the vault read refuse (GDPR-CONS-1: the person was not told what it now says) until
    they consent again on 2 April."""
    with c.uow() as uow:
        tenant_id = bind_tenant(uow, "northwind").id
    officer = Principal(tenant_id, "northwind", "privacy-officer", "cli", "test")
    marketing = Principal(tenant_id, "northwind", "marketing", "cli", "test")
    raw = {"subject": "cust-1", "identities": {"phone": "+14155550123"},
           "data": {"user.name": "Ana"}, "source": "direct", "purpose": "customer-service"}  # fmt: skip
    create_subject(c.deps, officer, raw)
    _consent(c)
    assert _decided(c) == (True, "")  # and now cached
    assert "user.name" in _read(c, marketing).data
    _at(c, datetime(2026, 4, 1, 9, tzinfo=UTC))
    _reword(c)
    assert _decided(c) == (False, "GDPR-CONS-1")
    with pytest.raises(Forbidden) as caught:  # nothing at all may be read (audited)
        _read(c, marketing)
    assert caught.value.message.startswith("GDPR-CONS-1: the consent to 'marketing-sms'")
    _at(c, datetime(2026, 4, 2, 9, tzinfo=UTC))
    _consent(c)
    assert _decided(c) == (True, "")
    assert _read(c, marketing).data["user.name"].value.reveal() == "Ana"
