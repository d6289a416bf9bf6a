"""Incident and breach clocks: who must be told, by when, under which rule. Pure; no I/O.

The regimes an incident falls under are chosen from the tenant's jurisdictions and role:

- ``gdpr`` (``eu``/``uk``): the supervisory authority within 72 hours of awareness unless the breach is
  unlikely to result in a risk (risk ``none``) (GDPR-BR-1); the subjects without undue delay when the
  risk is high (GDPR-BR-3);
- ``fcc`` (a US tenant whose purposes use ``cc.telecom.cpni``): the 2023 rule (FCC 23-111,
  FCC-BR-2): the FCC and law enforcement (USSS, FBI) within 7 business days of the determination (US
  federal holidays skipped; the day of awareness does not count); customers without unreasonable delay
  once law enforcement has been told (the old rule's 7-business-day wait is gone), earlier only if
  law enforcement agrees. A breach of fewer than 500
  customers with no harm reasonably likely (risk ``none``) goes in the annual summary instead (due
  1 February of the next year);
- ``pipeda`` (``ca``): with a real risk of significant harm (risk ``high``), the Commissioner and the
  individuals as soon as feasible; every breach recorded and kept 24 months (PIPEDA-BR-1);
- ``quebec`` (``ca-qc``): every incident in the register, kept 5 years; with a risk of serious injury
  (risk ``high``), the Commission d'accès à l'information and the individuals promptly (QC-INC-1);
- ``dpdp`` (``in``): every breach: the Board (intimation without delay and the detailed report within
  72 hours) and each affected person without delay (DPDP-BR-1);
- ``us-states`` (the affected people's US states of residence, whatever the tenant's jurisdictions):
  each state's own period to its residents and to its attorney general above the state's threshold
  (``core.breach_states``: 22 states with a fixed period, 30 to 60 days).

The subjects' GDPR clock can be closed with a 34(3) exception code and its justification; under
34(3)(c) a public communication replaces the individual notices (``core.breach_exemptions``). A
law-enforcement direction to delay FCC customer notice holds that clock until the delay's last day
(``core.breach_delays``, 47 CFR 64.2011).

The FCC rule in force is a setting (``fcc_rule``): ``fcc_23_111`` (above) or ``legacy``, the 2007
rule (FCC-BR-1, 47 CFR 64.2011 as adopted in FCC 07-22): the USSS and the FBI within 7 business days
of the determination, and customers only after 7 full business days more (no FCC notice, no
small-breach summary).

A processor tenant (a BPO for a client company) must tell its client, the controller, without undue
delay (GDPR-BR-2): within the hours its contract sets, ``client.breach_notice_hours`` in the
manifest (24 by default, 1 to 72: never longer than the controller's own 72 hours). Its other
clocks are the controller's duties, tracked on its behalf (``on_behalf``): the BPO often files them.

Hours are counted in UTC (72 hours are 72 elapsed hours, across a change of clocks); business days
in the regime's calendar. The register is kept for the longest period of the regimes (Québec 5 years,
PIPEDA and the FCC 24 months; GDPR 33(5) sets none, privault keeps 5 years by policy).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from privault.core import breach_delays, breach_states
from privault.core.breach_clock import US, BreachClock, clock_state, is_late, zone_day
from privault.core.deadlines import WorkingCalendar, add_months, count, count_hours, local_day
from privault.core.jurisdictions import JURISDICTIONS, PeriodUnit
from privault.core.manifest.model import CONTROLLER_NOTICE_HOURS
from privault.core.manifest.resolve import TenantView
from privault.core.taxonomy import is_within
from privault.errors import InvalidInput, PolicyViolation

__all__ = [
    "CONTROLLER_NOTICE_HOURS",
    "BreachClock",
    "applicable_regimes",
    "choose_regimes",
    "clock_state",
    "compute_clocks",
    "fcc_due",
    "is_late",
    "notify",
    "retain_until",
    "waive_open",
]

REGIMES = ("gdpr", "fcc", "pipeda", "quebec", "dpdp", breach_states.REGIME)
TARGETS = (
    "authority",
    "subjects",
    "law_enforcement",
    "controller",
    "fcc",
    "attorney_general",
    "public",  # GDPR 34(3)(c): the public communication instead of individual notices
)
FCC_RULES = ("fcc_23_111", "legacy")  # FCC-BR-2 (2023) or FCC-BR-1 (2007)
FCC_LEGACY_WAIT_DAYS = 7  # 47 CFR 64.2011(b) (2007): customers after 7 full business days
RISKS = ("none", "low", "high")
KEEP_MONTHS = {
    "gdpr": 60,
    "fcc": 24,
    "pipeda": 24,
    "quebec": 60,
    "dpdp": 60,
    breach_states.REGIME: 60,  # no period in the state laws: 5 years by policy
}
DEFAULT_KEEP_MONTHS = 60
FCC_SMALL_BREACH = 500
CPNI = "cc.telecom.cpni"
_US = US


# --- which regimes ------------------------------------------------------------------------------


def processes_cpni(view: TenantView) -> bool:
    """The tenant declares a purpose using CPNI itself (``cc.telecom.cpni`` or a key under it): the
    mark of a telecom carrier's customer data. Call detail kept only as billing records does not
    make a tenant a carrier."""
    return any(is_within(c, CPNI) for p in view.purposes for c in p.categories)


def applicable_regimes(view: TenantView, residents: Mapping[str, int] | None = None) -> list[str]:
    """The breach regimes the tenant's jurisdictions (and data) bring, and the affected people's
    US states of residence."""
    keys = set(view.tenant.jurisdictions)
    found = []
    if keys & {"eu", "uk"}:
        found.append("gdpr")
    if keys & {"us", "us-ca"} and processes_cpni(view):
        found.append("fcc")
    if "ca" in keys:
        found.append("pipeda")
    if "ca-qc" in keys:
        found.append("quebec")
    if "in" in keys:
        found.append("dpdp")
    if residents:
        found.append(breach_states.REGIME)
    return found


def choose_regimes(
    view: TenantView, wanted: Sequence[str], residents: Mapping[str, int] | None = None
) -> list[str]:
    """The regimes asked for (all applicable ones when none are), each checked against the tenant."""
    applicable = applicable_regimes(view, residents)
    if not wanted:
        return applicable
    wrong = [r for r in wanted if r not in applicable]
    if wrong:
        raise InvalidInput(
            f"regime {', '.join(wrong)} does not apply to tenant '{view.tenant.key}' "
            f"(applicable: {', '.join(applicable) or 'none'})",
            code="incident.invalid",
        )
    return list(dict.fromkeys(wanted))


# --- the clocks ---------------------------------------------------------------------------------


def _authority(*keys: str) -> str:
    return " / ".join(JURISDICTIONS[k].authority for k in keys if k in JURISDICTIONS)


def _gdpr(view: TenantView, aware_at: datetime, risk: str) -> list[BreachClock]:
    keys = [k for k in ("uk", "eu") if k in view.tenant.jurisdictions]
    clocks = []
    if risk != "none":
        due = count_hours(aware_at, 72)
        text = "72 hours from awareness"
        clocks.append(BreachClock("gdpr", "GDPR-BR-1", "authority", _authority(*keys), text, due))
    if risk == "high":
        whom = "the affected data subjects"
        clocks.append(BreachClock("gdpr", "GDPR-BR-3", "subjects", whom, "without undue delay"))
    return clocks


def fcc_due(aware_at: datetime) -> date:
    """Seven business days after the day of the determination (US federal calendar)."""
    calendar = WorkingCalendar.of(JURISDICTIONS[_US])
    return count(local_day(_US, aware_at), 7, PeriodUnit.BUSINESS_DAYS, calendar)


def customers_not_before(law_enforcement_at: datetime) -> date:
    """The first day customers may be told under the 2023 rule (FCC 23-111): once law enforcement
    (and the FCC) have been told - the old rule's 7-business-day wait is gone; a law-enforcement
    request to delay is recorded as a notification of its own."""
    return local_day(_US, law_enforcement_at)


def _fcc_legacy(aware_at: datetime) -> list[BreachClock]:
    """The 2007 rule: the USSS and the FBI within 7 business days; customers after 7 full business
    days more (``not_before`` is set when law enforcement is told)."""
    text = "7 business days from the determination (47 CFR 64.2011(b), 2007 rule)"
    wait = "after 7 full business days from the law-enforcement notice (unless it agrees earlier)"
    return [
        BreachClock(
            "fcc",
            "FCC-BR-1",
            "law_enforcement",
            "the USSS and the FBI",
            text,
            due_on=fcc_due(aware_at),
        ),
        BreachClock("fcc", "FCC-BR-1", "subjects", "the affected customers", wait),
    ]


def legacy_customers_not_before(law_enforcement_at: datetime) -> date:
    """2007 rule: the first day after 7 full business days from the law-enforcement notice."""
    calendar = WorkingCalendar.of(JURISDICTIONS[_US])
    told = local_day(_US, law_enforcement_at)
    waited = count(told, FCC_LEGACY_WAIT_DAYS, PeriodUnit.BUSINESS_DAYS, calendar)
    return waited + timedelta(days=1)


def _fcc(
    aware_at: datetime, risk: str, subjects: int, rule: str = "fcc_23_111"
) -> list[BreachClock]:
    if rule == "legacy":
        return _fcc_legacy(aware_at)
    if risk == "none" and subjects < FCC_SMALL_BREACH:
        summary = date(local_day(_US, aware_at).year + 1, 2, 1)
        text = "annual summary (fewer than 500 customers, no harm reasonably likely)"
        return [BreachClock("fcc", "FCC-BR-2", "fcc", "the FCC", text, due_on=summary)]
    due, text = fcc_due(aware_at), "7 business days from the determination"
    clocks = [
        BreachClock("fcc", "FCC-BR-2", "fcc", "the FCC", text, due_on=due),
        BreachClock("fcc", "FCC-BR-2", "law_enforcement", "the USSS and the FBI", text, due_on=due),
    ]
    if risk != "none":
        wait = (
            "without unreasonable delay once the FCC and law enforcement have been told "
            "(unless law enforcement asks for a delay)"
        )
        clocks.append(BreachClock("fcc", "FCC-BR-2", "subjects", "the affected customers", wait))
    return clocks


def _canada(regime: str, risk: str) -> list[BreachClock]:
    if risk != "high":
        return []
    rule, key, text = (
        ("PIPEDA-BR-1", "ca", "as soon as feasible")
        if regime == "pipeda"
        else ("QC-INC-1", "ca-qc", "promptly")
    )
    return [
        BreachClock(regime, rule, "authority", _authority(key), text),
        BreachClock(regime, rule, "subjects", "the affected individuals", text),
    ]


def _dpdp(aware_at: datetime) -> list[BreachClock]:
    text = "intimation without delay; detailed report within 72 hours"
    return [
        BreachClock(
            "dpdp", "DPDP-BR-1", "authority", _authority("in"), text, count_hours(aware_at, 72)
        ),
        BreachClock(
            "dpdp", "DPDP-BR-1", "subjects", "each affected data principal", "without delay"
        ),
    ]


def _controller(view: TenantView, aware_at: datetime, regimes: Sequence[str]) -> BreachClock:
    client = view.tenant.client
    whom = client.name if client else "the client controller"
    regime = "gdpr" if "gdpr" in regimes else "contract"
    basis = "contract default; GDPR 33(2)" if regime == "gdpr" else "the processing contract"
    hours = client.breach_notice_hours if client else CONTROLLER_NOTICE_HOURS
    text = f"{hours} hours from awareness ({basis})"
    due = count_hours(aware_at, hours)
    rule = "GDPR-BR-2" if regime == "gdpr" else "PROC-CONTRACT"
    return BreachClock(regime, rule, "controller", whom, text, due)


def _states(aware_at: datetime, residents: Mapping[str, int]) -> list[BreachClock]:
    return [
        BreachClock(breach_states.REGIME, c.rule, c.notify, c.whom, c.due_text, due_on=c.due_on)
        for c in breach_states.state_clocks(local_day(_US, aware_at), residents)
    ]


def compute_clocks(
    view: TenantView,
    regimes: Sequence[str],
    aware_at: datetime,
    risk: str,
    subjects: int,
    residents: Mapping[str, int] | None = None,
    fcc_rule: str = "fcc_23_111",
) -> list[BreachClock]:
    """Every notification the incident calls for under the chosen regimes (``residents``: affected
    people per US state; ``fcc_rule``: the FCC rule in force, a setting)."""
    if aware_at.tzinfo is None:
        raise InvalidInput("an instant needs its time zone", code="incident.invalid")
    if fcc_rule not in FCC_RULES:
        raise InvalidInput(
            f"the FCC rule is one of: {', '.join(FCC_RULES)}", code="incident.invalid"
        )
    aware = aware_at.astimezone(UTC)  # hours are elapsed hours, whatever the wall clocks do
    clocks: list[BreachClock] = []
    for regime in regimes:
        if regime == "gdpr":
            clocks += _gdpr(view, aware, risk)
        elif regime == "fcc":
            clocks += _fcc(aware, risk, subjects, fcc_rule)
        elif regime in ("pipeda", "quebec"):
            clocks += _canada(regime, risk)
        elif regime == "dpdp":
            clocks += _dpdp(aware)
        elif regime == breach_states.REGIME:
            clocks += _states(aware, breach_states.check_residents(residents or {}))
    if view.tenant.role == "processor":
        clocks = [replace(c, on_behalf=True) for c in clocks]
        clocks.insert(0, _controller(view, aware, regimes))
    return clocks


def retain_until(regimes: Sequence[str], aware_at: datetime) -> date:
    """The end of the longest keeping period of the regimes (5 years by policy without one)."""
    months = max((KEEP_MONTHS[r] for r in regimes), default=DEFAULT_KEEP_MONTHS)
    return add_months(aware_at.astimezone(UTC).date(), months)


# --- notification ---------------------------------------------------------------------

_WAIT = {
    "FCC-BR-2": "notify the FCC and law enforcement first, then the customers without unreasonable "
    "delay (FCC-BR-2), unless law enforcement agrees to an earlier notice",
    "FCC-BR-1": "notify the USSS and the FBI first, then wait 7 full business days before telling "
    "the customers (FCC-BR-1, 2007 rule), unless law enforcement agrees to an earlier notice",
}


def _check_wait(clock: BreachClock, at: datetime, law_enforcement_agrees: bool) -> None:
    """FCC customers are told once law enforcement has been (2023 rule) or 7 full business days
    later (2007 rule), unless law enforcement agreed to an earlier notice."""
    if clock.regime != "fcc" or clock.notify != "subjects" or law_enforcement_agrees:
        return
    if clock.not_before is None or zone_day(clock, at) < clock.not_before:
        raise PolicyViolation(_WAIT[clock.rule], code="incident.invalid")
    breach_delays.check_not_delayed(clock, zone_day(clock, at))


def _after_law_enforcement(clock: BreachClock, at: datetime) -> BreachClock:
    if clock.regime == "fcc" and clock.notify == "subjects" and clock.not_before is None:
        legacy = clock.rule == "FCC-BR-1"
        day = legacy_customers_not_before(at) if legacy else customers_not_before(at)
        return replace(clock, not_before=day)
    return clock


def _after_residents(clock: BreachClock, at: datetime) -> BreachClock:
    """California: the attorney general's 15 days start when the residents are told."""
    if clock.regime != breach_states.REGIME or clock.notify != "attorney_general" or clock.due_on:
        return clock
    due = breach_states.authority_due_after_residents(clock.rule, zone_day(clock, at))
    return replace(clock, due_on=due) if due else clock


def notify(
    clocks: Sequence[BreachClock],
    target: str,
    at: datetime,
    late_reason: str | None,
    *,
    law_enforcement_agrees: bool = False,
) -> tuple[list[BreachClock], list[BreachClock]]:
    """Record a notification of ``target`` at ``at``: (all clocks after it, the clocks it satisfied).

    A notification after a clock's due time needs its reason (GDPR 33(1)); FCC customers wait.
    """
    if target not in TARGETS:
        raise InvalidInput(f"notify one of: {', '.join(TARGETS)}", code="incident.invalid")
    reason = (late_reason or "").strip() or None
    open_ = [c for c in clocks if c.notify == target and c.done_at is None and c.waived is None]
    for clock in open_:
        _check_wait(clock, at, law_enforcement_agrees)
    late = [c for c in open_ if is_late(c, at)]
    if late and reason is None:
        rules = ", ".join(sorted({c.rule for c in late}))
        raise PolicyViolation(
            f"this notification is late under {rules}: give the reasons for the delay (GDPR 33(1))",
            code="incident.invalid",
        )
    updated, satisfied = [], []
    for clock in clocks:
        if clock in open_:
            late_reason_here = reason if is_late(clock, at) else None
            done = replace(clock, done_at=at, late_reason=late_reason_here)
            satisfied.append(done)
            updated.append(done)
        elif target == "law_enforcement":
            updated.append(_after_law_enforcement(clock, at))
        elif target == "subjects":
            updated.append(_after_residents(clock, at))
        else:
            updated.append(clock)
    return updated, satisfied


def waive_open(clocks: Sequence[BreachClock], reason: str) -> list[BreachClock]:
    """Close the clocks still open with the reason they were not needed (e.g. GDPR 34(3))."""
    return [
        replace(c, waived=reason) if c.done_at is None and c.waived is None else c for c in clocks
    ]
