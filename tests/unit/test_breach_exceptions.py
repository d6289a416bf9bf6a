"""Exceptions to breach notices (issue #14): GDPR Art. 34(3) with its public-notice fallback
(GDPR-BR-3), law-enforcement delays of FCC customer notice (FCC-BR-2), the processor's contractual
hours (GDPR-BR-2) and Louisiana's attorney-general clock after the residents' notice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from privault.core import breach_delays, breach_exemptions
from privault.core.incidents import BreachClock, clock_state, compute_clocks, notify
from privault.core.manifest import Manifest
from privault.core.manifest.model import ClientController
from privault.core.manifest.resolve import TenantView, tenant_view
from privault.errors import InvalidInput, PolicyViolation

AWARE = datetime(2026, 5, 18, 15, 0, tzinfo=UTC)  # Monday 18 May 2026, 11:00 in New York


def _gdpr(manifest: Manifest) -> list[BreachClock]:
    return compute_clocks(tenant_view(manifest, "harbour"), ["gdpr"], AWARE, "high", 40)


def _fcc(manifest: Manifest, rule: str = "fcc_23_111") -> list[BreachClock]:
    view = tenant_view(manifest, "bluewave")
    return compute_clocks(view, ["fcc"], AWARE, "high", 1200, fcc_rule=rule)


def _one(clocks: list[BreachClock], target: str) -> BreachClock:
    found = [c for c in clocks if c.notify == target and c.regime in ("gdpr", "fcc")]
    assert len(found) == 1, found
    return found[0]


# --- GDPR Art. 34(3) --------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["34(3)(a)", "34(3)(b)"])
def test_an_art_34_3_exception_closes_the_subjects_notice_with_its_code(
    manifest: Manifest, code: str
) -> None:
    """(a) unintelligible data, (b) high risk no longer likely: no individual notice, no public one."""
    clocks = breach_exemptions.exempt_subjects(_gdpr(manifest), code, "AES-256, key not taken")
    subjects = _one(clocks, "subjects")
    assert (subjects.exception, subjects.waived) == (code, "AES-256, key not taken")
    assert clock_state(subjects, AWARE) == "waived"
    assert not [c for c in clocks if c.notify == "public"]


def test_disproportionate_effort_requires_a_public_communication_instead(
    manifest: Manifest,
) -> None:
    """34(3)(c): the subjects' clock closes and a public one opens; recording it satisfies it."""
    clocks = breach_exemptions.exempt_subjects(
        _gdpr(manifest), "34(3)(c)", "no contact details for 90% of those affected"
    )
    public = _one(clocks, "public")
    assert (public.rule, public.due_text.startswith("without undue delay")) == ("GDPR-BR-3", True)
    assert clock_state(public, AWARE).startswith("due now")
    updated, done = notify(clocks, "public", AWARE + timedelta(days=1), None)
    assert [c.notify for c in done] == ["public"]
    assert _one(updated, "public").done_at is not None


def test_an_exception_needs_a_known_code_and_a_justification(manifest: Manifest) -> None:
    """Unknown codes and empty justifications are refused; nothing changes."""
    clocks = _gdpr(manifest)
    with pytest.raises(InvalidInput):
        breach_exemptions.exempt_subjects(clocks, "34(3)(d)", "why")
    with pytest.raises(InvalidInput):
        breach_exemptions.exempt_subjects(clocks, "34(3)(a)", "  ")


def test_no_exception_without_an_open_subjects_notice(manifest: Manifest) -> None:
    """Risk below high has no subjects' clock to exempt."""
    view = tenant_view(manifest, "harbour")
    low = compute_clocks(view, ["gdpr"], AWARE, "low", 40)
    with pytest.raises(InvalidInput):
        breach_exemptions.exempt_subjects(low, "34(3)(a)", "encrypted")


# --- FCC law-enforcement delays ---------------------------------------------------------------


def _told(manifest: Manifest, rule: str = "fcc_23_111") -> list[BreachClock]:
    clocks, _ = notify(_fcc(manifest, rule), "law_enforcement", AWARE, None)
    return clocks


def test_a_law_enforcement_delay_holds_customers_until_it_ends(manifest: Manifest) -> None:
    """USSS directs a delay on 19 May to 18 June: refused on 18 June, allowed on 19 June."""
    clocks = breach_delays.delay_customers(
        _told(manifest), date(2026, 5, 19), date(2026, 6, 18), "USSS letter 2026-117"
    )
    customers = _one(clocks, "subjects")
    assert (customers.delayed_until, customers.delay_reference) == (
        date(2026, 6, 18),
        "USSS letter 2026-117",
    )
    assert clock_state(customers, AWARE + timedelta(days=5)).startswith("delayed until 2026-06-18")
    on_last_day = datetime(2026, 6, 18, 16, 0, tzinfo=UTC)
    with pytest.raises(PolicyViolation):
        notify(clocks, "subjects", on_last_day, None)
    after, done = notify(clocks, "subjects", on_last_day + timedelta(days=1), None)
    assert [c.notify for c in done] == ["subjects"]
    assert clock_state(_one(after, "subjects"), on_last_day + timedelta(days=1)) == "done"


def test_the_initial_delay_is_at_most_30_days_then_extendable(manifest: Manifest) -> None:
    """47 CFR 64.2011(a)(2): up to 30 days at first; the agency may extend it as it needs."""
    with pytest.raises(InvalidInput):
        breach_delays.delay_customers(
            _told(manifest), date(2026, 5, 19), date(2026, 6, 19), "FBI 1"
        )
    first = breach_delays.delay_customers(
        _told(manifest), date(2026, 5, 19), date(2026, 6, 18), "FBI 1"
    )
    longer = breach_delays.delay_customers(first, date(2026, 6, 15), date(2026, 8, 31), "FBI 2")
    customers = _one(longer, "subjects")
    assert (customers.delayed_until, customers.delay_reference) == (
        date(2026, 8, 31),
        "FBI 1; FBI 2",
    )
    with pytest.raises(InvalidInput):
        breach_delays.delay_customers(longer, date(2026, 6, 20), date(2026, 7, 1), "shorter")


def test_a_lifted_delay_lets_customers_be_told_from_that_day(manifest: Manifest) -> None:
    """The agency's word that notice no longer impedes it ends the delay early."""
    delayed = breach_delays.delay_customers(
        _told(manifest), date(2026, 5, 19), date(2026, 6, 18), "USSS 1"
    )
    lifted = breach_delays.lift_delay(delayed, date(2026, 6, 1), "USSS release")
    assert _one(lifted, "subjects").delayed_until == date(2026, 5, 31)
    _, done = notify(lifted, "subjects", datetime(2026, 6, 1, 16, 0, tzinfo=UTC), None)
    assert [c.notify for c in done] == ["subjects"]


def test_a_delay_needs_its_written_direction_and_an_open_customer_notice(
    manifest: Manifest,
) -> None:
    """No reference, or no FCC customer clock (a GDPR incident), is refused."""
    with pytest.raises(InvalidInput):
        breach_delays.delay_customers(_told(manifest), date(2026, 5, 19), date(2026, 6, 1), " ")
    with pytest.raises(InvalidInput):
        breach_delays.delay_customers(_gdpr(manifest), date(2026, 5, 19), date(2026, 6, 1), "x")


def test_the_2007_rule_honours_a_delay_after_its_seven_day_wait(manifest: Manifest) -> None:
    """Legacy rule: the wait ends 28 May, but a delay to 15 June holds customers until it ends."""
    clocks = breach_delays.delay_customers(
        _told(manifest, "legacy"), date(2026, 5, 19), date(2026, 6, 15), "USSS 7"
    )
    with pytest.raises(PolicyViolation):
        notify(clocks, "subjects", datetime(2026, 6, 10, 16, 0, tzinfo=UTC), None)
    _, done = notify(clocks, "subjects", datetime(2026, 6, 16, 16, 0, tzinfo=UTC), None)
    assert [c.rule for c in done] == ["FCC-BR-1"]


def test_clocks_with_exceptions_and_delays_survive_their_stored_form(manifest: Manifest) -> None:
    """to_json / from_json keep the exception code and the delay."""
    gdpr = breach_exemptions.exempt_subjects(_gdpr(manifest), "34(3)(c)", "no addresses")
    fcc = breach_delays.delay_customers(
        _told(manifest), date(2026, 5, 19), date(2026, 6, 18), "USSS 1"
    )
    for clocks in (gdpr, fcc):
        assert [BreachClock.from_json(c.to_json()) for c in clocks] == clocks


# --- GDPR-BR-2: the processor's contractual hours ---------------------------------------------


def _with_hours(manifest: Manifest, hours: int) -> TenantView:
    """Northwind with a processing contract of ``hours`` hours."""
    tenants = []
    for tenant in manifest.tenants:
        changed = tenant
        if tenant.key == "northwind" and tenant.client is not None:
            client = tenant.client.model_copy(update={"breach_notice_hours": hours})
            changed = tenant.model_copy(update={"client": client})
        tenants.append(changed)
    return tenant_view(manifest.model_copy(update={"tenants": tenants}), "northwind")


def test_the_controller_clock_follows_the_client_contracts_hours(manifest: Manifest) -> None:
    """A 48-hour contract gives the controller's clock 48 hours, cited as the contract's figure."""
    clocks = compute_clocks(_with_hours(manifest, 48), ["gdpr"], AWARE, "high", 10)
    controller = clocks[0]
    assert controller.due_at == AWARE + timedelta(hours=48)
    assert controller.due_text.startswith("48 hours from awareness")


@pytest.mark.parametrize("hours", [0, 73])
def test_the_contract_hours_are_bounded_1_to_72(hours: int) -> None:
    """Never longer than the controller's own 72 hours (Art. 33(1)); at least one hour."""
    with pytest.raises(ValidationError):
        ClientController(name="Client", breach_notice_hours=hours)
