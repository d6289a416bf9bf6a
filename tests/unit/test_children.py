"""Children's consent ages (issue #14, item 3): the strictest age of every law a tenant is under,
enforced at collection, at consent and at sale or sharing; ``privault check`` refuses a weaker
policy with a located error."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from privault.core.children import (
    EU_CHILD_AGES,
    collection_age,
    consent_age,
    is_teen,
    law_ages,
    sale_opt_in,
    teen_years,
)
from privault.core.consent import Entry
from privault.core.decisions import Facts, evaluate
from privault.core.manifest import parse_manifest
from privault.core.manifest.model import Manifest, Policy
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.plans import compile_plan
from privault.core.records import SubjectFacts
from privault.core.retention import check_child_collection
from privault.core.vault import DATE_OF_BIRTH, adult_on
from privault.errors import ManifestInvalid, PolicyViolation
from privault.services.decisions import Decider, subject_facts

TODAY = date(2026, 12, 7)
AT_US = int(datetime(2026, 12, 7, 12, tzinfo=UTC).timestamp() * 1_000_000)


def _born(age: int) -> str:
    """A birthday making the person ``age`` today (and some months more), as the vault takes it."""
    return date(TODAY.year - age, 5, 1).isoformat()


@pytest.mark.parametrize(
    ("laws", "establishment", "age", "rule"),
    [
        (["ca-qc"], None, 14, "QC-MIN-1"),
        (["in"], None, 18, "DPDP-CHILD-1"),
        (["eu"], None, 16, "GDPR-CHILD-1"),
        (["eu"], "DE", 16, "GDPR-CHILD-1"),
        (["eu"], "FR", 15, "GDPR-CHILD-1"),
        (["eu"], "IE", 16, "GDPR-CHILD-1"),
        (["eu"], "BE", 13, "GDPR-CHILD-1"),
        (["uk"], None, 13, "GDPR-CHILD-1"),
        (["us"], None, 13, "COPPA-1"),
        (["us-ca"], None, 13, "COPPA-1"),
        (["uk", "ca-qc"], None, 14, "QC-MIN-1"),
        (["ca-qc", "ca", "uk", "eu", "in", "us-ca"], None, 18, "DPDP-CHILD-1"),
    ],
)
def test_the_strictest_child_consent_age_of_the_tenants_laws_decides(
    laws: list[str], establishment: str | None, age: int, rule: str
) -> None:
    """The highest age wins and names its rule; EU member states' Art. 8(1) ages where known."""
    found = consent_age(13, laws, establishment)
    assert (found.age, found.rule) == (age, rule)


def test_a_stricter_policy_decides_and_says_so() -> None:
    """POL-MIN-1: a policy of 18 outranks the UK's 13."""
    found = consent_age(18, ["uk"])
    assert (found.age, found.rule, found.law) == (18, "POL-MIN-1", "policy.minor_age")


def test_every_member_state_age_is_within_article_8() -> None:
    """GDPR Art. 8(1): member states may set 13 to 16; all 27 are listed."""
    assert len(EU_CHILD_AGES) == 27
    assert all(13 <= age <= 16 for age in EU_CHILD_AGES.values())


def test_ccpa_sets_an_opt_in_age_of_16_for_sale_and_sharing() -> None:
    """Cal. Civ. Code 1798.120(c): under 16, sale or sharing needs an opt-in."""
    found = sale_opt_in(["us", "us-ca"])
    assert found is not None
    assert (found.age, found.rule) == (16, "CCPA-MIN-1")
    assert sale_opt_in(["uk", "eu"]) is None


def test_collection_waits_for_a_parent_under_the_laws_that_govern_collection() -> None:
    """COPPA 13 everywhere; Québec 14 and India 18 govern collection; GDPR Art. 8 only consent."""
    assert collection_age(["eu", "uk"]).age == 13
    assert collection_age(["ca-qc"]).age == 14
    assert collection_age(["in", "us"]).rule == "DPDP-CHILD-1"


def test_a_teen_is_past_the_minor_age_and_under_the_opt_in_age() -> None:
    """With a minor age of 13 and CCPA's 16: 13, 14 and 15 are teens; 12 and 16 are not."""
    years = teen_years(13, 16)
    assert years == 3
    by_age = {age: is_teen(adult_on(_born(age), 13), TODAY, years) for age in (12, 13, 15, 16)}
    assert by_age == {12: False, 13: True, 15: True, 16: False}


# --- the tenant's resolved view and the decision ------------------------------------------------


def _changed(manifest: Manifest, key: str, laws: list[str], minor_age: int | None) -> Manifest:
    """The template with one tenant under other laws and minor age (as if no check ran)."""
    changes = {"jurisdictions": laws, "default_jurisdiction": laws[0]}
    changes["policy"] = Policy(minor_age=minor_age)
    tenants = [t.model_copy(update=changes) if t.key == key else t for t in manifest.tenants]
    top = manifest.policy.model_copy(update={"minor_age": minor_age})
    return manifest.model_copy(update={"tenants": tenants, "policy": top})


def _tenant(manifest: Manifest, key: str, laws: list[str], minor_age: int | None) -> TenantView:
    """A template tenant under other laws and minor age, resolved."""
    return tenant_view(_changed(manifest, key, laws, minor_age), key)


def _entry(granted: bool, method: str = "web") -> Entry:
    return Entry(granted, AT_US - 1_000_000, 7, method)


def test_a_13_year_old_in_quebec_cannot_consent_alone(manifest: Manifest) -> None:
    """Québec s. 4.1: under 14 a parent consents; the view raises a policy of 13 to the law's 14
    and the denial names QC-MIN-1 and the law."""
    view = _tenant(manifest, "harbour", ["ca-qc"], 13)
    assert (view.policy.minor_age, view.policy.minor_age_rule) == (14, "QC-MIN-1")
    plan = compile_plan(view, "surveys")
    minor = adult_on(_born(13), view.policy.minor_age) > TODAY
    state = {"purpose:surveys": _entry(True)}
    decision = evaluate(plan, Facts(is_minor=minor, state=state), AT_US)
    assert not decision.allowed
    denial = decision.subject_wide_denial()
    assert denial is not None
    assert denial.rule == "QC-MIN-1"
    assert denial.record is not None
    assert denial.record.startswith("law:")
    assert "4.1" in denial.record


def test_a_15_year_old_in_quebec_consents_alone_unless_the_policy_says_18(
    manifest: Manifest,
) -> None:
    """At 15 Québec law lets the person consent (s. 4.1: 14 and over); the template's policy (18)
    does not, and a parent must consent."""
    state = {"purpose:surveys": _entry(True)}
    for minor_age, allowed in ((14, True), (18, False)):
        view = _tenant(manifest, "harbour", ["ca-qc"], minor_age)
        minor = adult_on(_born(15), view.policy.minor_age) > TODAY
        decision = evaluate(
            compile_plan(view, "surveys"), Facts(is_minor=minor, state=state), AT_US
        )
        assert decision.allowed is allowed


def test_a_15_year_old_californian_is_not_sold_or_shared_without_an_opt_in(
    manifest: Manifest,
) -> None:
    """CCPA 1798.120(c): with a minor age of 13, a 15-year-old's data is shared for targeted ads
    only on the person's own opt-in; the denial names CCPA-MIN-1."""
    view = _tenant(manifest, "northwind", ["us-ca"], 13)
    assert view.policy.sale_opt_in_age == 16
    plan = compile_plan(view, "targeted-ads")
    assert plan.purpose.sale_or_sharing
    years = teen_years(view.policy.minor_age, view.policy.sale_opt_in_age)
    teen = is_teen(adult_on(_born(15), view.policy.minor_age), TODAY, years)
    consent = {"purpose:targeted-ads": _entry(True), "cookie:marketing": _entry(True)}
    without = evaluate(plan, Facts(teen=teen, state=consent), AT_US)
    assert not without.allowed
    assert [r.rule for r in without.reasons if not r.allowed] == ["CCPA-MIN-1"]
    opted_in = consent | {"sale_sharing:*": _entry(True)}
    assert evaluate(plan, Facts(teen=teen, state=opted_in), AT_US).allowed
    adult = evaluate(plan, Facts(state=consent), AT_US)
    assert adult.allowed


def test_collection_of_a_15_year_old_in_india_needs_a_parent(manifest: Manifest) -> None:
    """DPDP s. 9(1): verifiable parental consent before processing a child's (under 18) data; an
    EU tenant may collect it (GDPR Art. 8 concerns consent, decided per purpose)."""
    data = {DATE_OF_BIRTH: _born(15)}
    with pytest.raises(PolicyViolation, match="DPDP-CHILD-1"):
        check_child_collection(_tenant(manifest, "harbour", ["in"], 18), data, False, TODAY)
    check_child_collection(_tenant(manifest, "harbour", ["in"], 18), data, True, TODAY)
    check_child_collection(_tenant(manifest, "northwind", ["eu"], 18), data, False, TODAY)


# --- privault check ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("laws", "establishment", "age"),
    [("[ca-qc]", "", 14), ("[in]", "", 18), ("[eu]", "\n    establishment: DE", 16)],
)
def test_check_refuses_a_minor_age_of_13_under_stricter_laws(
    template: str, laws: str, establishment: str, age: int
) -> None:
    """A located error on the tenant's minor_age, naming the law's age."""
    text = template.replace(
        "    jurisdictions: [ca-qc, ca, uk, eu, in, us-ca]",
        f"    jurisdictions: {laws}{establishment}",
    ).replace("    default_jurisdiction: ca-qc", f"    default_jurisdiction: {laws[1:-1]}")
    text += "      minor_age: 13\n"
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(text, "contact-centre.yaml")
    issues = [i for i in caught.value.issues if "consent alone" in i.message]
    assert len(issues) == 1
    issue = issues[0]
    assert issue.path == "tenants[2].policy.minor_age"
    assert issue.line == len(text.splitlines())
    assert issue.column > 1
    assert f"under {age}" in issue.message


def test_check_accepts_13_for_california_which_gates_teens_at_sale(template: str) -> None:
    """CCPA sets no consent age for processing at large: 13 (COPPA) passes for Bluewave (us,
    us-ca, ca); the tenants under GDPR and DPDP are refused at the top-level minor_age."""
    text = template.replace("  minor_age: 18 ", "  minor_age: 13 ")
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(text, "contact-centre.yaml")
    issues = [i for i in caught.value.issues if "consent alone" in i.message]
    assert [(i.path, i.line) for i in issues] == [("policy.minor_age", 27)] * 2
    assert ["'harbour'" in issues[0].message, "'northwind'" in issues[1].message] == [True, True]


def test_the_contact_centre_template_passes_the_check(manifest: Manifest) -> None:
    """The template's policy (18) is at least every law's age, for every tenant."""
    for tenant in manifest.tenants:
        ages = law_ages(tenant.jurisdictions)
        assert all(a.age <= 18 for a in ages)


def test_the_decider_reads_a_californian_teen_from_the_stored_coming_of_age(
    manifest: Manifest,
) -> None:
    """The facts cache knows the tenant's opt-in years: a 15-year-old's stored ``adult_on`` (their
    13th birthday) makes them a teen; a 17-year-old's does not."""
    decider = Decider(_changed(manifest, "northwind", ["us-ca"], 13))
    cache = decider.facts("northwind")
    assert cache.teen_years == 3
    for age, teen in ((15, True), (17, False)):
        row = SubjectFacts(1, "uid", "ref", adult_on(_born(age), 13), False, None)
        facts = subject_facts(row, None, TODAY, cache.teen_years)
        assert (facts.teen, facts.is_minor, facts.plain) == (teen, False, not teen)
