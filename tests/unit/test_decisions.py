"""The processing decision, rule by rule: each rule with a case it allows and a case it denies.

Every table row folds explicit ledger events (ids and timestamps given) into the holder's state, asks
one question of the contact-centre template and checks three things: whether the answer is allowed,
exactly which rules denied it, and that the reason naming the rule under test is there (with the
consent event or manifest entry behind it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from privault.core.consent import ConsentEvent, State, apply
from privault.core.decisions import UNKNOWN, Facts, evaluate
from privault.core.law_labels import rule_labels
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.plans import compile_plan
from privault.errors import InvalidInput, NotFound

T = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z in microseconds
DAY = 86_400_000_000
NOW = T + 400 * DAY  # well after every event below (and after any CPNI waiting period)
BM, TP = "bluewave-mobile", "tidal-prepaid"
HEALTH = "user.health_and_medical"
CPNI = "cc.telecom.cpni"
ANY = object()  # "do not check the record"


def ev(eid: int, at: int, key: str, granted: bool, method: str = "form") -> ConsentEvent:
    """A ledger event of subject 1 on topic ``key`` ("kind:scope")."""
    kind, _, scope = key.partition(":")
    return ConsentEvent(eid, at, 1, None, kind, scope, granted, method)


def state(*events: ConsentEvent) -> State:
    """Subject 1's projected state after folding ``events`` in the order given."""
    states: dict[str, State] = {}
    for event in events:
        apply(states, event)
    return states.get("s:1", {})


def rec(eid: int) -> str:
    """The record string of consent event ``eid``."""
    return f"consent_event:{eid}"


@dataclass(frozen=True)
class Row:
    """One question and what the decision must say about it."""

    purpose: str
    events: tuple[ConsentEvent, ...] = ()
    deny: frozenset[str] = frozenset()  # exactly the rules that deny (empty: allowed)
    rule: str = "GDPR-LB-1"  # a reason for this rule must be present (allowing unless in deny)
    record: object = ANY
    category: str | None = None
    tenant: str = "bluewave"
    categories: tuple[str, ...] = ()
    brand: str | None = None
    minor: bool = False
    exclusive: dict[str, frozenset[str]] = field(default_factory=dict)
    at: int = NOW


def case(name: str, purpose: str, *events: ConsentEvent, deny: tuple[str, ...] = (), **kw):
    """A table row with a readable id."""
    return pytest.param(Row(purpose, events, frozenset(deny), **kw), id=name)


@pytest.fixture(scope="module")
def views(manifest) -> dict[str, TenantView]:
    """The template's tenant views."""
    return {key: tenant_view(manifest, key) for key in ("bluewave", "northwind", "harbour")}


def check(views: dict[str, TenantView], row: Row) -> None:
    """Ask the row's question and check the answer against the row (the rows name GDPR's rule
    ids; a tenant no GDPR applies to sees them under its own names, ``law_labels.rule_labels``)."""
    plan = compile_plan(views[row.tenant], row.purpose, row.categories, row.brand)
    facts = Facts(is_minor=row.minor, state=state(*row.events), exclusive=row.exclusive)
    decision = evaluate(plan, facts, row.at)
    named = rule_labels(views[row.tenant].tenant.jurisdictions)
    denying = {r.rule for r in decision.reasons if not r.allowed}
    assert denying == {named.get(r, r) for r in row.deny}, decision.reasons
    assert decision.allowed is (not row.deny)
    wanted_allowed = row.rule not in row.deny
    matches = [
        r
        for r in decision.reasons
        if r.rule == named.get(row.rule, row.rule)
        and r.allowed is wanted_allowed
        and (row.category is None or r.category == row.category)
    ]
    assert matches, decision.reasons
    if row.record is not ANY:
        assert row.record in {r.record for r in matches}, matches


# --- lawful basis and consent (GDPR-LB-1, GDPR-CONS-1/2/3) ---------------------------------------

LAWFUL_BASIS = [
    case(
        "contract-needs-no-consent",
        "customer-service",
        record="manifest:purposes.customer-service.lawful_basis",
    ),
    case(
        "legitimate-interests-needs-no-consent",
        "fraud-prevention",
        record="manifest:purposes.fraud-prevention.lawful_basis",
    ),
    case("consent-purpose-without-events", "surveys", deny=("GDPR-CONS-3",), rule="GDPR-CONS-3"),
    case(
        "consent-granted",
        "surveys",
        ev(1, T + 10, "purpose:surveys", True),
        rule="GDPR-CONS-1",
        record=rec(1),
    ),
    case(
        "consent-withdrawn-later",
        "surveys",
        ev(1, T + 10, "purpose:surveys", True),
        ev(2, T + 20, "purpose:surveys", False),
        deny=("GDPR-CONS-2",),
        rule="GDPR-CONS-2",
        record=rec(2),
    ),
    case(
        "back-dated-withdrawal-loses-to-newer-grant",
        "surveys",
        ev(1, T + 20, "purpose:surveys", True),
        ev(2, T + 10, "purpose:surveys", False, "import"),
        rule="GDPR-CONS-1",
        record=rec(1),
    ),
    case(
        "same-instant-greater-id-wins",
        "surveys",
        ev(1, T + 10, "purpose:surveys", True),
        ev(2, T + 10, "purpose:surveys", False),
        deny=("GDPR-CONS-2",),
        rule="GDPR-CONS-2",
        record=rec(2),
    ),
    case(
        "consent-to-another-purpose-does-not-count",
        "surveys",
        ev(1, T + 10, "purpose:marketing-sms", True),
        deny=("GDPR-CONS-3",),
        rule="GDPR-CONS-3",
        record=None,
    ),
]


@pytest.mark.parametrize("row", LAWFUL_BASIS)
def test_lawful_basis_and_consent(views, row: Row) -> None:
    """Contract and legitimate interests need no consent; consent purposes need a live grant."""
    check(views, row)


def test_a_purpose_without_lawful_basis_is_denied(views) -> None:
    """GDPR-LB-1 denies a purpose whose lawful basis is missing (manifest record named)."""
    view = views["northwind"]
    purposes = tuple(
        p.model_copy(update={"lawful_basis": None}) if p.key == "billing" else p
        for p in view.purposes
    )
    plan = compile_plan(dataclasses.replace(view, purposes=purposes), "billing")
    decision = evaluate(plan, Facts(), NOW)
    assert not decision.allowed
    assert [(r.rule, r.record) for r in decision.reasons if not r.allowed] == [
        ("GDPR-LB-1", "manifest:purposes.billing")
    ]


def test_a_us_only_tenant_decision_carries_no_gdpr_label(views) -> None:
    """Bluewave (US, California, Canada) is told of its own rules, never of a GDPR article."""
    for purpose in ("billing", "marketing-sms", "vulnerability-support"):
        plan = compile_plan(views["bluewave"], purpose)
        withdrawn = state(ev(1, T + 10, f"purpose:{purpose}", False))
        for facts in (Facts(), Facts(state=withdrawn)):
            rules = {r.rule for r in evaluate(plan, facts, NOW).reasons}
            assert not any(r.startswith("GDPR") for r in rules), rules
    billing = evaluate(compile_plan(views["bluewave"], "billing"), Facts(), NOW)
    assert "POL-LB-1" in {r.rule for r in billing.reasons}
    northwind = evaluate(compile_plan(views["northwind"], "billing"), Facts(), NOW)
    assert "GDPR-LB-1" in {r.rule for r in northwind.reasons}


# --- marketing per brand and channel (CANSPAM-1 opt-outs, consent-based channels) ----------------

MARKETING = [
    case("email-soft-opt-in-by-default", "marketing-email", brand=BM),
    case("email-soft-opt-in-no-brand", "marketing-email"),
    case(
        "email-brand-opt-out-denies-that-brand",
        "marketing-email",
        ev(1, T + 10, f"marketing:{BM}:email", False, "unsubscribe"),
        brand=BM,
        deny=("CANSPAM-1",),
        rule="CANSPAM-1",
        record=rec(1),
    ),
    case(
        "email-brand-opt-out-spares-other-brand",
        "marketing-email",
        ev(1, T + 10, f"marketing:{BM}:email", False, "unsubscribe"),
        brand=TP,
    ),
    case(
        "email-brand-opt-out-denies-when-no-brand-named",
        "marketing-email",
        ev(1, T + 10, f"marketing:{BM}:email", False, "unsubscribe"),
        deny=("CANSPAM-1",),
        rule="CANSPAM-1",
        record=rec(1),
    ),
    case(
        "sms-opt-out-does-not-stop-email",
        "marketing-email",
        ev(1, T + 10, f"marketing:{BM}:sms", False, "unsubscribe"),
    ),
    case(
        "brand-all-channels-opt-out",
        "marketing-email",
        ev(1, T + 10, f"marketing:{BM}:*", False),
        brand=BM,
        deny=("CANSPAM-1",),
        rule="CANSPAM-1",
        record=rec(1),
    ),
    case(
        "brand-all-channels-opt-out-spares-other-brand",
        "marketing-email",
        ev(1, T + 10, f"marketing:{BM}:*", False),
        brand=TP,
    ),
    *[
        case(
            f"all-brands-opt-out-{name}",
            "marketing-email",
            ev(1, T + 10, "marketing:*:*", False, "unsubscribe"),
            brand=brand,
            deny=("CANSPAM-1",),
            rule="CANSPAM-1",
            record=rec(1),
        )
        for name, brand in ((BM, BM), (TP, TP), ("no-brand", None))
    ],
    case(
        "purpose-opt-out-of-email",
        "marketing-email",
        ev(1, T + 10, "purpose:marketing-email", False),
        brand=TP,
        deny=("CANSPAM-1",),
        rule="CANSPAM-1",
        record=rec(1),
    ),
    case(
        "email-resubscribed-after-opt-out",
        "marketing-email",
        ev(1, T + 10, f"marketing:{BM}:email", False, "unsubscribe"),
        ev(2, T + 20, f"marketing:{BM}:email", True),
        brand=BM,
    ),
    case(
        "sms-needs-consent",
        "marketing-sms",
        brand=BM,
        deny=("GDPR-CONS-3",),
        rule="GDPR-CONS-3",
        record=None,
    ),
    case(
        "sms-brand-channel-grant-is-consent",
        "marketing-sms",
        ev(1, T + 10, f"marketing:{BM}:sms", True),
        brand=BM,
        rule="GDPR-CONS-1",
        record=rec(1),
    ),
    case(
        "sms-later-brand-grant-after-all-opt-out-reallows-that-brand",
        "marketing-sms",
        ev(1, T + 10, "marketing:*:*", False, "unsubscribe"),
        ev(2, T + 20, f"marketing:{BM}:sms", True),
        brand=BM,
        rule="GDPR-CONS-1",
        record=rec(2),
    ),
    case(
        "sms-later-brand-grant-after-all-opt-out-not-other-brand",
        "marketing-sms",
        ev(1, T + 10, "marketing:*:*", False, "unsubscribe"),
        ev(2, T + 20, f"marketing:{BM}:sms", True),
        brand=TP,
        deny=("GDPR-CONS-2",),
        rule="GDPR-CONS-2",
        record=rec(1),
    ),
    case(
        "sms-all-opt-out-after-purpose-consent",
        "marketing-sms",
        ev(1, T + 10, "purpose:marketing-sms", True),
        ev(2, T + 20, "marketing:*:*", False, "unsubscribe"),
        brand=BM,
        deny=("GDPR-CONS-2",),
        rule="GDPR-CONS-2",
        record=rec(2),
    ),
    case(
        "sms-no-brand-any-brand-opt-out-denies",
        "marketing-sms",
        ev(1, T + 10, "purpose:marketing-sms", True),
        ev(2, T + 20, f"marketing:{BM}:sms", False, "unsubscribe"),
        deny=("CANSPAM-1",),
        rule="CANSPAM-1",
        record=rec(2),
    ),
    case(
        "sms-other-brand-keeps-purpose-consent",
        "marketing-sms",
        ev(1, T + 10, "purpose:marketing-sms", True),
        ev(2, T + 20, f"marketing:{BM}:sms", False, "unsubscribe"),
        brand=TP,
        rule="GDPR-CONS-1",
        record=rec(1),
    ),
]


@pytest.mark.parametrize("row", MARKETING)
def test_marketing_per_brand_and_channel(views, row: Row) -> None:
    """Opt-outs apply per brand x channel, '*' covers all, and no brand named counts any brand."""
    check(views, row)


# --- objection (GDPR-OBJ-1 for direct marketing, GDPR-OBJ-21(1) otherwise) ------------------------

OBJECTION = [
    case(
        "marketing-objection-beats-later-consent",
        "marketing-sms",
        ev(1, T + 10, "objection:marketing", False, "request"),
        ev(2, T + 20, "purpose:marketing-sms", True),
        brand=BM,
        deny=("GDPR-OBJ-1",),
        rule="GDPR-OBJ-1",
        record=rec(1),
    ),
    case(
        "marketing-objection-beats-later-brand-grant",
        "marketing-email",
        ev(1, T + 10, "objection:marketing", False, "request"),
        ev(2, T + 20, f"marketing:{BM}:email", True),
        brand=BM,
        deny=("GDPR-OBJ-1",),
        rule="GDPR-OBJ-1",
        record=rec(1),
    ),
    case(
        "marketing-objection-lifted",
        "marketing-email",
        ev(1, T + 10, "objection:marketing", False, "request"),
        ev(2, T + 20, "objection:marketing", True, "request"),
        brand=BM,
    ),
    case(
        "marketing-objection-spares-non-marketing",
        "call-recording",
        ev(1, T + 10, "objection:marketing", False, "request"),
        record="manifest:purposes.call-recording.lawful_basis",
    ),
    case(
        "objection-to-call-recording",
        "call-recording",
        ev(1, T + 10, "objection:call-recording", False, "request"),
        deny=("GDPR-OBJ-21(1)",),
        rule="GDPR-OBJ-21(1)",
        record=rec(1),
    ),
    case(
        "objection-to-fraud-prevention",
        "fraud-prevention",
        ev(1, T + 10, "objection:fraud-prevention", False, "request"),
        deny=("GDPR-OBJ-21(1)",),
        rule="GDPR-OBJ-21(1)",
        record=rec(1),
    ),
    case(
        "objection-to-one-purpose-spares-another",
        "customer-service",
        ev(1, T + 10, "objection:call-recording", False, "request"),
    ),
]


@pytest.mark.parametrize("row", OBJECTION)
def test_objection(views, row: Row) -> None:
    """An objection to direct marketing is absolute; one to a purpose stops that purpose only."""
    check(views, row)


@pytest.mark.parametrize(
    ("purpose", "brand"),
    [
        pytest.param("marketing-email", BM, id="marketing-email"),
        pytest.param("marketing-sms", BM, id="marketing-sms"),
    ],
)
def test_objecting_to_one_marketing_purpose_is_a_direct_marketing_objection(
    views, purpose: str, brand: str
) -> None:
    """objection:<marketing purpose> is an Art. 21(2) objection: GDPR-OBJ-1, which suppression lists."""
    row = Row(
        purpose,
        (
            ev(1, T + 10, f"purpose:{purpose}", True),
            ev(2, T + 20, f"objection:{purpose}", False, "request"),
        ),
        frozenset({"GDPR-OBJ-1"}),
        rule="GDPR-OBJ-1",
        record=rec(2),
        brand=brand,
    )
    check(views, row)


# --- restriction (GDPR-RES-1) ---------------------------------------------------------------------

RESTRICTION = [
    case(
        "restriction-denies-customer-service",
        "customer-service",
        ev(1, T + 10, "restriction:*", False, "request"),
        deny=("GDPR-RES-1",),
        rule="GDPR-RES-1",
        record=rec(1),
    ),
    case(
        "restriction-allows-legal-records",
        "legal-records",
        ev(1, T + 10, "restriction:*", False, "request"),
        rule="GDPR-RES-1",
        record=rec(1),
    ),
    case(
        "restriction-allows-privacy-requests",
        "privacy-requests",
        ev(1, T + 10, "restriction:*", False, "request"),
        rule="GDPR-RES-1",
        record=rec(1),
    ),
    case(
        "restriction-lifted",
        "customer-service",
        ev(1, T + 10, "restriction:*", False, "request"),
        ev(2, T + 20, "restriction:*", True, "request"),
    ),
    case(
        "purpose-restriction-denies-that-purpose",
        "billing",
        ev(1, T + 10, "restriction:billing", False, "request"),
        deny=("GDPR-RES-1",),
        rule="GDPR-RES-1",
        record=rec(1),
    ),
    case(
        "purpose-restriction-spares-other-purposes",
        "customer-service",
        ev(1, T + 10, "restriction:billing", False, "request"),
    ),
]


@pytest.mark.parametrize("row", RESTRICTION)
def test_restriction(views, row: Row) -> None:
    """A restriction leaves only storage and the Art. 18(2) purposes; a scoped one, its purpose."""
    check(views, row)
    if row.rule == "GDPR-LB-1":  # not restricted: no restriction reason at all
        plan = compile_plan(views[row.tenant], row.purpose)
        reasons = evaluate(plan, Facts(state=state(*row.events)), row.at).reasons
        assert all(r.rule != "GDPR-RES-1" for r in reasons)


# --- CPNI (FCC-APP-1) and limiting sensitive data (CCPA-LIM-1) -----------------------------------

CONSENTED = ev(1, T + 10, "purpose:cpni-marketing", True)

CPNI_ROWS = [
    case(
        "service-uses-cpni-without-approval",
        "customer-service",
        categories=(CPNI,),
        rule="FCC-APP-1",
        category=CPNI,
        record="manifest:purposes.customer-service.kind",
    ),
    case(
        "billing-uses-call-detail-without-approval",
        "billing",
        categories=("cc.telecom.call_detail",),
        rule="FCC-APP-1",
        category="cc.telecom.call_detail",
    ),
    case(
        "cpni-marketing-consent-without-approval",
        "cpni-marketing",
        CONSENTED,
        deny=("FCC-APP-1",),
        rule="FCC-APP-1",
        category=CPNI,
        record=None,
    ),
    case(
        "cpni-marketing-opt-in-approval-by-agent",
        "cpni-marketing",
        CONSENTED,
        ev(2, T + 20, "cpni:*", True, "agent"),
        rule="FCC-APP-1",
        category=CPNI,
        record=rec(2),
    ),
    case(
        "cpni-marketing-opt-out-approval-is-not-enough",
        "cpni-marketing",
        CONSENTED,
        ev(2, T + 20, "cpni:*", True, "notice"),
        deny=("FCC-APP-1",),
        rule="FCC-APP-1",
        category=CPNI,
        record=rec(2),
    ),
    case(
        "cpni-approval-revoked",
        "cpni-marketing",
        CONSENTED,
        ev(2, T + 20, "cpni:*", True, "agent"),
        ev(3, T + 30, "cpni:*", False, "request"),
        deny=("FCC-APP-1",),
        rule="FCC-APP-1",
        category=CPNI,
        record=rec(3),
    ),
    case(
        "cpni-approval-without-purpose-consent",
        "cpni-marketing",
        ev(2, T + 20, "cpni:*", True, "agent"),
        deny=("GDPR-CONS-3",),
        rule="FCC-APP-1",
        category=CPNI,
        record=rec(2),
    ),
    case(
        "limit-spi-stops-cpni-marketing",
        "cpni-marketing",
        CONSENTED,
        ev(2, T + 20, "cpni:*", True, "agent"),
        ev(3, T + 30, "limit_spi:*", False, "form"),
        categories=(CPNI,),
        deny=("CCPA-LIM-1",),
        rule="CCPA-LIM-1",
        category=CPNI,
        record=rec(3),
    ),
    case(
        "limit-spi-lifted",
        "cpni-marketing",
        CONSENTED,
        ev(2, T + 20, "cpni:*", True, "agent"),
        ev(3, T + 30, "limit_spi:*", False, "form"),
        ev(4, T + 40, "limit_spi:*", True, "form"),
        categories=(CPNI,),
        rule="FCC-APP-1",
    ),
    case(
        "limit-spi-spares-the-service-itself",
        "customer-service",
        ev(3, T + 30, "limit_spi:*", False, "form"),
        categories=(CPNI,),
        rule="FCC-APP-1",
    ),
]


@pytest.mark.parametrize("row", CPNI_ROWS)
def test_cpni_and_limited_sensitive_data(views, row: Row) -> None:
    """CPNI serves the service freely; marketing needs opt-in approval; a limit stops marketing."""
    check(views, row)


@pytest.mark.parametrize(
    ("days", "allowed"),
    [
        pytest.param(0, False, id="at-notice"),
        pytest.param(29, False, id="day-29"),
        pytest.param(30, True, id="day-30"),
        pytest.param(45, True, id="day-45"),
        pytest.param(729, True, id="day-729"),
        pytest.param(730, False, id="two-years-renew"),
    ],
)
def test_cpni_opt_out_approval_takes_effect_after_30_days(views, days: int, allowed: bool) -> None:
    """For an opt_out CPNI purpose, a notice approval counts only 30 days after the notice, and
    lapses after two years (730 days) until a new notice is sent (47 CFR 64.2008(d))."""
    view = views["bluewave"]
    purposes = tuple(
        p.model_copy(update={"cpni_approval": "opt_out"}) if p.key == "cpni-marketing" else p
        for p in view.purposes
    )
    plan = compile_plan(dataclasses.replace(view, purposes=purposes), "cpni-marketing")
    facts = Facts(state=state(CONSENTED, ev(2, T + 20, "cpni:*", True, "notice")))
    decision = evaluate(plan, facts, T + 20 + days * DAY)
    assert decision.allowed is allowed
    cpni = [r for r in decision.reasons if r.rule == "FCC-APP-1"]
    assert [(r.allowed, r.category, r.record) for r in cpni] == [(allowed, CPNI, rec(2))]


@pytest.mark.parametrize(
    ("days", "allowed"),
    [
        pytest.param(30, False, id="day-30"),
        pytest.param(32, False, id="day-32"),
        pytest.param(33, True, id="day-33"),
    ],
)
def test_a_mailed_cpni_notice_takes_effect_30_days_after_the_third_day(
    views, days: int, allowed: bool
) -> None:
    """A mailed opt-out notice (method notice_mail) counts only from the third day after mailing,
    so approval is assumed from day 33 (47 CFR 64.2008(d)(1)(ii))."""
    view = views["bluewave"]
    purposes = tuple(
        p.model_copy(update={"cpni_approval": "opt_out"}) if p.key == "cpni-marketing" else p
        for p in view.purposes
    )
    plan = compile_plan(dataclasses.replace(view, purposes=purposes), "cpni-marketing")
    facts = Facts(state=state(CONSENTED, ev(2, T + 20, "cpni:*", True, "notice_mail")))
    assert evaluate(plan, facts, T + 20 + days * DAY).allowed is allowed


# --- special categories (GDPR-SPEC-1) ------------------------------------------------------------

SPECIAL_GRANT = f"special:vulnerability-support:{HEALTH}"

SPECIAL = [
    case(
        "purpose-consent-without-explicit-consent",
        "vulnerability-support",
        ev(1, T + 10, "purpose:vulnerability-support", True),
        deny=("GDPR-SPEC-1",),
        rule="GDPR-SPEC-1",
        category=HEALTH,
        record=None,
    ),
    case(
        "purpose-consent-with-explicit-consent",
        "vulnerability-support",
        ev(1, T + 10, "purpose:vulnerability-support", True),
        ev(2, T + 20, SPECIAL_GRANT, True, "agent"),
        rule="GDPR-SPEC-1",
        category=HEALTH,
        record=rec(2),
    ),
    case(
        "explicit-consent-withdrawn",
        "vulnerability-support",
        ev(1, T + 10, "purpose:vulnerability-support", True),
        ev(2, T + 20, SPECIAL_GRANT, True, "agent"),
        ev(3, T + 30, SPECIAL_GRANT, False, "agent"),
        deny=("GDPR-SPEC-1",),
        rule="GDPR-SPEC-1",
        category=HEALTH,
        record=rec(3),
    ),
    case(
        "explicit-consent-without-purpose-consent",
        "vulnerability-support",
        ev(2, T + 20, SPECIAL_GRANT, True, "agent"),
        deny=("GDPR-CONS-3",),
        rule="GDPR-SPEC-1",
        category=HEALTH,
        record=rec(2),
    ),
    case(
        "ordinary-categories-need-no-explicit-consent",
        "vulnerability-support",
        ev(1, T + 10, "purpose:vulnerability-support", True),
        categories=("user.name", "cc.account.number"),
        rule="GDPR-CONS-1",
        record=rec(1),
    ),
]


@pytest.mark.parametrize("row", SPECIAL)
def test_special_categories(views, row: Row) -> None:
    """Special-category data needs explicit consent for that purpose and category."""
    check(views, row)


def test_special_category_denial_concerns_the_category_only(views) -> None:
    """A GDPR-SPEC-1 denial is reported per category, not subject-wide."""
    plan = compile_plan(views["northwind"], "vulnerability-support")
    facts = Facts(state=state(ev(1, T + 10, "purpose:vulnerability-support", True)))
    decision = evaluate(plan, facts, NOW)
    assert list(decision.denied_categories()) == [HEALTH]
    assert decision.subject_wide_denial() is None
    withdrawn = Facts(state=state(ev(1, T + 10, "purpose:vulnerability-support", False)))
    wide = evaluate(plan, withdrawn, NOW).subject_wide_denial()
    assert wide is not None
    assert (wide.rule, wide.record) == ("GDPR-CONS-2", rec(1))


# --- CCPA sale/sharing (CCPA-OO-1, CCPA-GPC-1) and cookie consent ---------------------------------

COOKIE_ADS = ev(1, T + 10, "cookie:marketing", True, "accept")

CCPA_AND_COOKIES = [
    case(
        "targeted-ads-with-marketing-cookies",
        "targeted-ads",
        COOKIE_ADS,
        tenant="northwind",
        rule="GDPR-CONS-1",
        record=rec(1),
    ),
    case(
        "targeted-ads-without-consent",
        "targeted-ads",
        tenant="northwind",
        deny=("GDPR-CONS-3",),
        rule="GDPR-CONS-3",
    ),
    case(
        "gpc-signal-stops-sharing",
        "targeted-ads",
        COOKIE_ADS,
        ev(2, T + 20, "sale_sharing:*", False, "gpc"),
        tenant="northwind",
        deny=("CCPA-GPC-1",),
        rule="CCPA-GPC-1",
        record=rec(2),
    ),
    case(
        "opt-out-form-stops-sharing",
        "targeted-ads",
        COOKIE_ADS,
        ev(2, T + 20, "sale_sharing:*", False, "form"),
        tenant="northwind",
        deny=("CCPA-OO-1",),
        rule="CCPA-OO-1",
        record=rec(2),
    ),
    case(
        "sharing-opted-back-in",
        "targeted-ads",
        COOKIE_ADS,
        ev(2, T + 20, "sale_sharing:*", False, "form"),
        ev(3, T + 30, "sale_sharing:*", True, "form"),
        tenant="northwind",
        rule="GDPR-CONS-1",
        record=rec(1),
    ),
    case(
        "gpc-spares-purposes-that-do-not-share",
        "web-analytics",
        ev(1, T + 10, "cookie:statistics", True, "accept"),
        ev(2, T + 20, "sale_sharing:*", False, "gpc"),
        tenant="northwind",
        rule="GDPR-CONS-1",
        record=rec(1),
    ),
    case(
        "statistics-cookies-are-analytics-consent",
        "web-analytics",
        ev(1, T + 10, "cookie:statistics", True, "accept"),
        tenant="northwind",
        rule="GDPR-CONS-1",
        record=rec(1),
    ),
    case(
        "statistics-cookies-rejected-later",
        "web-analytics",
        ev(1, T + 10, "purpose:web-analytics", True),
        ev(2, T + 20, "cookie:statistics", False, "reject"),
        tenant="northwind",
        deny=("GDPR-CONS-2",),
        rule="GDPR-CONS-2",
        record=rec(2),
    ),
    case(
        "other-cookie-category-is-not-analytics-consent",
        "web-analytics",
        ev(1, T + 10, "cookie:marketing", True, "accept"),
        tenant="northwind",
        deny=("GDPR-CONS-3",),
        rule="GDPR-CONS-3",
    ),
]


@pytest.mark.parametrize("row", CCPA_AND_COOKIES)
def test_sale_sharing_and_cookie_consent(views, row: Row) -> None:
    """GPC and opt-outs stop sharing (the rule says which); a cookie choice is the purpose's consent."""
    check(views, row)


# --- minors (POL-MIN-1, GDPR-CHILD-1) -------------------------------------------------------------

MINORS = [
    case(
        "minor-no-email-marketing",
        "marketing-email",
        brand=BM,
        minor=True,
        deny=("POL-MIN-1",),
        rule="POL-MIN-1",
        record="manifest:policy.minor_age",
    ),
    case(
        "minor-own-sms-consent-is-not-enough",
        "marketing-sms",
        ev(1, T + 10, "purpose:marketing-sms", True),
        brand=BM,
        minor=True,
        deny=("POL-MIN-1", "GDPR-CHILD-1"),
        rule="GDPR-CHILD-1",
        record="manifest:policy.minor_age",
    ),
    case(
        "minor-parental-sms-consent-still-no-marketing",
        "marketing-sms",
        ev(1, T + 10, "parental:marketing-sms", True, "agent"),
        brand=BM,
        minor=True,
        deny=("POL-MIN-1",),
        rule="GDPR-CHILD-1",
        record=rec(1),
    ),
    case(
        "minor-parental-consent-to-surveys",
        "surveys",
        ev(1, T + 10, "parental:surveys", True, "agent"),
        minor=True,
        rule="GDPR-CHILD-1",
        record=rec(1),
    ),
    case(
        "minor-own-survey-consent-is-not-enough",
        "surveys",
        ev(1, T + 10, "purpose:surveys", True),
        minor=True,
        deny=("GDPR-CHILD-1",),
        rule="GDPR-CHILD-1",
        record="manifest:policy.minor_age",
    ),
    case(
        "minor-parental-consent-withdrawn",
        "surveys",
        ev(1, T + 10, "parental:surveys", True, "agent"),
        ev(2, T + 20, "parental:surveys", False, "agent"),
        minor=True,
        deny=("GDPR-CHILD-1",),
        rule="GDPR-CHILD-1",
        record=rec(2),
    ),
    case(
        "minor-contract-purpose",
        "customer-service",
        minor=True,
    ),
    case(
        "adult-parental-consent-is-not-consent",
        "surveys",
        ev(1, T + 10, "parental:surveys", True, "agent"),
        deny=("GDPR-CONS-3",),
        rule="GDPR-CONS-3",
    ),
]


@pytest.mark.parametrize("row", MINORS)
def test_minors(views, row: Row) -> None:
    """Minors get no marketing at all; their consent purposes need a parent's verified consent."""
    check(views, row)


@pytest.mark.parametrize(
    "row",
    [
        case(
            "purpose-withdrawn-after-parental-consent",
            "surveys",
            ev(1, T + 10, "parental:surveys", True, "agent"),
            ev(2, T + 20, "purpose:surveys", False, "form"),
            minor=True,
            deny=("GDPR-CONS-2",),
            rule="GDPR-CONS-2",
            record=rec(2),
        ),
        case(
            "cookies-rejected-after-parental-consent",
            "web-analytics",
            ev(1, T + 10, "parental:web-analytics", True, "agent"),
            ev(2, T + 20, "cookie:statistics", False, "reject"),
            tenant="northwind",
            minor=True,
            deny=("GDPR-CONS-2",),
            rule="GDPR-CONS-2",
            record=rec(2),
        ),
    ],
)
def test_a_minors_later_withdrawal_beats_parental_consent(views, row: Row) -> None:
    """A "no" needs no parent: a withdrawal newer than the parental consent stops processing."""
    check(views, row)


# --- purpose limitation (PURPOSE-LIMIT) ------------------------------------------------------------

SURVEY_EMAIL = {"surveys": frozenset({"user.contact.email"})}

PURPOSE_LIMIT = [
    case(
        "exclusive-survey-email-not-for-marketing",
        "marketing-email",
        brand=BM,
        exclusive=SURVEY_EMAIL,
        deny=("PURPOSE-LIMIT",),
        rule="PURPOSE-LIMIT",
        category="user.contact.email",
        record="manifest:purposes.surveys.exclusive",
    ),
    case(
        "exclusive-survey-email-for-surveys",
        "surveys",
        ev(1, T + 10, "purpose:surveys", True),
        exclusive=SURVEY_EMAIL,
        rule="GDPR-CONS-1",
        record=rec(1),
    ),
    case(
        "exclusive-email-within-broader-asked-category",
        "customer-service",
        categories=("user.contact",),
        exclusive=SURVEY_EMAIL,
        deny=("PURPOSE-LIMIT",),
        rule="PURPOSE-LIMIT",
        category="user.contact",
    ),
    case(
        "exclusive-email-spares-other-categories",
        "customer-service",
        categories=("user.name", "cc.account.number"),
        exclusive=SURVEY_EMAIL,
    ),
    case(
        "undeclared-category",
        "billing",
        categories=("cc.survey.response",),
        deny=("PURPOSE-LIMIT",),
        rule="PURPOSE-LIMIT",
        category="cc.survey.response",
        record="manifest:purposes.billing.categories",
    ),
    case(
        "broader-than-declared-category",
        "marketing-email",
        categories=("user.contact",),
        brand=BM,
        deny=("PURPOSE-LIMIT",),
        rule="PURPOSE-LIMIT",
        category="user.contact",
    ),
    case(
        "narrower-than-declared-category",
        "customer-service",
        categories=("user.contact.email",),
    ),
    case(
        "extension-within-declared-parent",
        "customer-service",
        categories=("cc.telecom.call_detail",),
        rule="FCC-APP-1",
        category="cc.telecom.call_detail",
    ),
]


@pytest.mark.parametrize("row", PURPOSE_LIMIT)
def test_purpose_limitation(views, row: Row) -> None:
    """Data of an exclusive purpose, or outside a purpose's declared categories, is denied."""
    check(views, row)


# --- unknown subjects, purposes, brands and categories --------------------------------------------


@pytest.mark.parametrize("purpose", ["customer-service", "legal-records", "surveys"])
def test_an_unknown_subject_is_never_allowed(views, purpose: str) -> None:
    """UNKNOWN (unknown or erased) is denied with one SUBJECT reason, whatever the purpose."""
    decision = evaluate(compile_plan(views["bluewave"], purpose), UNKNOWN, NOW)
    assert not decision.allowed
    assert [(r.rule, r.allowed) for r in decision.reasons] == [("SUBJECT", False)]


@pytest.mark.parametrize(
    ("purpose", "categories", "brand", "error", "code"),
    [
        pytest.param("no-such-purpose", (), None, NotFound, "purpose.unknown", id="purpose"),
        pytest.param("targeted-ads", (), None, NotFound, "purpose.unknown", id="other-tenant"),
        pytest.param("marketing-email", (), "northwind", NotFound, "brand.unknown", id="brand"),
        pytest.param(
            "billing", ("user.contact.emial",), None, InvalidInput, "category.unknown", id="cat"
        ),
    ],
)
def test_questions_about_unknown_things_are_errors(
    views, purpose: str, categories: tuple[str, ...], brand: str | None, error, code: str
) -> None:
    """Unknown purposes (or another tenant's), brands and categories raise with a stable code."""
    with pytest.raises(error) as caught:
        compile_plan(views["bluewave"], purpose, categories, brand)
    assert caught.value.code == code
