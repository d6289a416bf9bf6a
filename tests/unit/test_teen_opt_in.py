"""Teens and targeted advertising or sale under US state laws (issue #14, item 3): below a law's
``teen_opt_in_age`` (and from 13) a person is not shown targeted ads nor sold without their own
opt-in; the decision names the law's rule (``<ACT>-MIN-1``) and cites the law."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from privault.core.children import is_teen, sale_opt_in, targeted_ads_opt_in, teen_years
from privault.core.consent import Entry
from privault.core.decisions import Facts, Plan, evaluate
from privault.core.manifest.model import Manifest, Policy
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.plans import compile_plan
from privault.core.vault import adult_on

TODAY = date(2026, 12, 7)
AT_US = int(datetime(2026, 12, 7, 12, tzinfo=UTC).timestamp() * 1_000_000)
CONSENTED = {"purpose:targeted-ads": Entry(True, AT_US - 2_000_000, 1, "web")}

# (jurisdiction, opt-in age, rule, a cited section, a teen's age)
STATES = [
    ("us-ct", 18, "CTDPA-MIN-1", "42-529a", 17),
    ("us-co", 18, "CPA-MIN-1", "6-1-1308.5", 16),
    ("us-or", 16, "OCPA-MIN-1", "646A.578", 15),
    ("us-nj", 18, "NJDPA-MIN-1", "56:8-166.12", 13),
]


def _entry(granted: bool, event: int = 7) -> Entry:
    return Entry(granted, AT_US - 1_000_000, event, "web")


def _view(manifest: Manifest, laws: list[str], minor_age: int = 13) -> TenantView:
    """The northwind tenant under ``laws`` and ``minor_age`` (as if no check ran)."""
    policy = Policy(minor_age=minor_age)
    changes = {"jurisdictions": laws, "default_jurisdiction": laws[0], "policy": policy}
    tenants = [
        t.model_copy(update=changes) if t.key == "northwind" else t for t in manifest.tenants
    ]
    top = manifest.policy.model_copy(update={"minor_age": minor_age})
    return tenant_view(manifest.model_copy(update={"tenants": tenants, "policy": top}), "northwind")


def _teen(view: TenantView, age: int) -> bool:
    years = teen_years(view.policy.minor_age, view.policy.sale_opt_in_age)
    born = date(TODAY.year - age, 5, 1).isoformat()
    return is_teen(adult_on(born, view.policy.minor_age), TODAY, years)


def _ads_only(plan: Plan) -> Plan:
    """The targeted-ads purpose as first-party targeting, not a sale or sharing."""
    purpose = plan.purpose.model_copy(update={"sale_or_sharing": False})
    return dataclasses.replace(plan, purpose=purpose)


def _denied(plan: Plan, facts: Facts) -> list[str]:
    return [r.rule for r in evaluate(plan, facts, AT_US).reasons if not r.allowed]


@pytest.mark.parametrize(("law", "age", "rule", "section", "_teen_age"), STATES)
def test_each_state_law_names_its_own_opt_in_rule_and_section(
    law: str, age: int, rule: str, section: str, _teen_age: int
) -> None:
    """The opt-in age, rule id and citation come from the law's table, for sale and for ads."""
    for found in (sale_opt_in([law]), targeted_ads_opt_in(["us-ca", law])):
        assert found is not None
        assert (found.age, found.rule) == (age, rule)
        assert section in found.law


def test_the_ccpa_opt_in_covers_sale_and_sharing_only() -> None:
    """Cal. Civ. Code 1798.120(c) concerns sale and sharing; no targeted-advertising opt-in."""
    assert targeted_ads_opt_in(["us", "us-ca"]) is None
    assert targeted_ads_opt_in(["uk", "eu"]) is None


@pytest.mark.parametrize(("law", "_age", "rule", "section", "teen_age"), STATES)
def test_a_teen_is_not_shown_targeted_ads_without_their_own_opt_in(
    manifest: Manifest, law: str, _age: int, rule: str, section: str, teen_age: int
) -> None:
    """Consent to the purpose is not enough: the denial names the law's rule and section; the
    teen's own opt-in to targeted advertising allows it; an adult is not asked."""
    view = _view(manifest, [law])
    plan = _ads_only(compile_plan(view, "targeted-ads"))
    teen = Facts(teen=_teen(view, teen_age), state=CONSENTED)
    assert _denied(plan, teen) == [rule]
    [why] = [r for r in evaluate(plan, teen, AT_US).reasons if not r.allowed]
    assert section in why.message
    assert "targeted advertising" in why.message
    opted_in = CONSENTED | {"targeted_ads:*": _entry(True)}
    decision = evaluate(plan, Facts(teen=True, state=opted_in), AT_US)
    assert decision.allowed
    assert [r.record for r in decision.reasons if r.rule == rule] == ["consent_event:7"]
    assert evaluate(plan, Facts(state=CONSENTED), AT_US).allowed


@pytest.mark.parametrize(("law", "_age", "rule", "_section", "teen_age"), STATES)
def test_a_teen_is_not_sold_without_opting_in_to_sale_and_to_targeted_ads(
    manifest: Manifest, law: str, _age: int, rule: str, _section: str, teen_age: int
) -> None:
    """A sale/sharing purpose for targeted ads needs both opt-ins, each named by the law's rule."""
    view = _view(manifest, [law, "us-ca"])
    plan = compile_plan(view, "targeted-ads")
    assert _denied(plan, Facts(teen=_teen(view, teen_age), state=CONSENTED)) == [rule, rule]
    sale_only = CONSENTED | {"sale_sharing:*": _entry(True)}
    assert _denied(plan, Facts(teen=True, state=sale_only)) == [rule]
    both = sale_only | {"targeted_ads:*": _entry(True, 8)}
    assert evaluate(plan, Facts(teen=True, state=both), AT_US).allowed


def test_a_teens_opt_out_is_the_same_denial_under_the_law(manifest: Manifest) -> None:
    """After an opt-out the teen rule (not US-STATE-OO) decides: the law needs an opt-in."""
    plan = _ads_only(compile_plan(_view(manifest, ["us-ct"]), "targeted-ads"))
    out = CONSENTED | {"targeted_ads:*": _entry(False)}
    assert _denied(plan, Facts(teen=True, state=out)) == ["CTDPA-MIN-1"]
    assert _denied(plan, Facts(state=out)) == ["US-STATE-OO"]


def test_the_ages_are_the_laws_a_16_year_old_in_oregon_is_no_teen(manifest: Manifest) -> None:
    """ORS 646A.578(2): 13 to 15; Connecticut's 18 makes a 16-year-old a teen there."""
    assert not _teen(_view(manifest, ["us-or"]), 16)
    assert _teen(_view(manifest, ["us-ct"]), 16)
    assert not _teen(_view(manifest, ["us-ct"]), 18)


def test_under_ccpa_alone_targeted_ads_that_are_no_sale_are_not_gated(manifest: Manifest) -> None:
    """CCPA-MIN-1 concerns sale and sharing: first-party targeting of a 15-year-old Californian
    follows the ordinary rules (consent here)."""
    view = _view(manifest, ["us-ca"])
    plan = _ads_only(compile_plan(view, "targeted-ads"))
    assert evaluate(plan, Facts(teen=_teen(view, 15), state=CONSENTED), AT_US).allowed


def test_a_minor_gets_no_targeted_ads_under_a_state_law_even_opted_in(manifest: Manifest) -> None:
    """Below the minor age the person may be under 13 (a parent's opt-in, COPPA): no targeted ads,
    naming the state law's rule."""
    plan = _ads_only(compile_plan(_view(manifest, ["us-ct"], 18), "targeted-ads"))
    opted_in = CONSENTED | {"targeted_ads:*": _entry(True)}
    assert "CTDPA-MIN-1" in _denied(plan, Facts(is_minor=True, state=opted_in))


def test_maryland_forbids_targeted_ads_and_sale_under_18_even_on_an_opt_in(
    manifest: Manifest,
) -> None:
    """Md. Code, Com. Law § 14-4607(a)(4) is a ban, not an opt-in; beside Connecticut's opt-in at
    the same age the ban decides."""
    found = sale_opt_in(["us-ct", "us-md"])
    assert found is not None
    assert (found.rule, found.opt_in) == ("MODPA-MIN-1", False)
    plan = compile_plan(_view(manifest, ["us-md"]), "targeted-ads")
    every = CONSENTED | {"sale_sharing:*": _entry(True), "targeted_ads:*": _entry(True, 8)}
    decision = evaluate(plan, Facts(teen=True, state=every), AT_US)
    assert [r.rule for r in decision.reasons if not r.allowed] == ["MODPA-MIN-1", "MODPA-MIN-1"]
    assert all("even on an opt-in" in r.message for r in decision.reasons if not r.allowed)
    assert evaluate(plan, Facts(state=every), AT_US).allowed
