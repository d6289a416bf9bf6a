"""Opting out of targeted advertising and of profiling (US state laws), and GPC where a law binds."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from privault.core.consent import ConsentEvent, Kind, State, apply
from privault.core.decisions import Facts, evaluate
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.core.plans import compile_plan
from privault.services.consent import gpc_choices

NOW = 1_800_000_000_000_000


def _state(*events: tuple[str, bool, str]) -> State:
    states: dict[str, State] = {}
    for eid, (key, granted, method) in enumerate(events, 1):
        kind, _, scope = key.partition(":")
        apply(states, ConsentEvent(eid, eid * 10, 1, None, kind, scope, granted, method))
    return states.get("s:1", {})


def _denying(view: TenantView, purpose: str, state: State, data_use: str | None = None) -> set[str]:
    plan = compile_plan(view, purpose)
    if data_use is not None:
        changed = plan.purpose.model_copy(update={"data_use": data_use})
        plan = dataclasses.replace(plan, purpose=changed)
    decision = evaluate(plan, Facts(state=state), NOW)
    return {r.rule for r in decision.reasons if not r.allowed}


@pytest.fixture(scope="module")
def northwind(manifest) -> TenantView:
    """A tenant with a targeted-advertising purpose (fideslang third_party.targeted)."""
    return tenant_view(manifest, "northwind")


CONSENTED = ("purpose:targeted-ads", True, "form")


@pytest.mark.parametrize(
    ("events", "denied"),
    [
        ((CONSENTED,), set()),
        ((CONSENTED, ("targeted_ads:*", False, "request")), {"US-STATE-OO"}),
        ((CONSENTED, ("targeted_ads:*", False, "gpc")), {"US-STATE-GPC"}),
        ((CONSENTED, ("profiling:*", False, "request")), set()),  # not a profiling use
    ],
)
def test_an_opt_out_of_targeted_advertising_denies_targeted_purposes(
    northwind: TenantView, events: tuple[tuple[str, bool, str], ...], denied: set[str]
) -> None:
    """Like an opt-out of sale: the decision denies, naming the opt-out (or GPC)."""
    assert _denying(northwind, "targeted-ads", _state(*events)) == denied


def test_an_opt_out_of_targeted_advertising_leaves_other_marketing_alone(
    northwind: TenantView,
) -> None:
    """Web analytics is not targeted advertising (fideslang analytics.reporting)."""
    state = _state(("purpose:web-analytics", True, "form"), ("targeted_ads:*", False, "request"))
    assert _denying(northwind, "web-analytics", state) == set()


def test_an_opt_out_of_profiling_denies_profiling_purposes(northwind: TenantView) -> None:
    """A purpose whose data use is profiling stops once the person opts out of profiling."""
    state = _state(CONSENTED, ("profiling:*", False, "request"))
    assert _denying(northwind, "targeted-ads", state, "marketing.advertising.profiling") == {
        "US-STATE-OO"
    }


def _with_laws(view: TenantView, *keys: str) -> TenantView:
    tenant = view.tenant.model_copy(update={"jurisdictions": list(keys)})
    return dataclasses.replace(view, tenant=tenant)


@pytest.mark.parametrize(
    ("laws", "on", "targeted"),
    [
        (("us-co",), date(2024, 7, 1), True),  # Colorado: binding from 1 July 2024
        (("us-co",), date(2024, 6, 30), False),
        (("us-or",), date(2025, 12, 31), False),  # Oregon: from 1 January 2026
        (("us-or",), date(2026, 1, 1), True),
        (("us-va",), date(2026, 1, 1), False),  # Virginia does not make GPC binding
        (("us-ca", "uk"), date(2026, 1, 1), False),  # CCPA: sale/sharing only
    ],
)
def test_gpc_opts_out_of_targeted_advertising_where_a_law_makes_it_binding(
    northwind: TenantView, laws: tuple[str, ...], on: date, targeted: bool
) -> None:
    """The signal always opts out of sale/sharing; of targeted ads only where a law binds that day."""
    kinds = {c.kind for c in gpc_choices(_with_laws(northwind, *laws), on)}
    assert Kind.SALE_SHARING in kinds
    assert (Kind.TARGETED_ADS in kinds) is targeted
