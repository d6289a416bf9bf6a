"""Law-enforcement delays of customer breach notice under the FCC's CPNI rule (FCC-BR-2). Pure.

47 CFR 64.2011(a)(2) as amended by FCC 23-111: if the Commission, or a law enforcement or national
security agency, tells the carrier that notice to customers would impede or compromise a criminal
investigation or national security, it "may direct the carrier not to so disclose or notify for an
initial period of up to 30 days"; the agency may extend the period "as reasonably necessary", and
tells the carrier, in writing, when notice no longer impedes it. The 2007 rule (FCC-BR-1,
64.2011(b)(3)) had the same provision.

A delay is recorded on the FCC customer clock: its last day (``delayed_until``) and the written
direction's reference (``delay_reference``; extensions are appended). Customers cannot be told
until the day after it ends (the clock resumes then), unless the agency lifts the delay earlier
(recorded as a lift, or a notification with ``law_enforcement_agrees``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

from privault.core.breach_clock import BreachClock
from privault.errors import InvalidInput, PolicyViolation

INITIAL_DELAY_DAYS = 30  # 47 CFR 64.2011(a)(2): "an initial period of up to 30 days"
CITATION = "47 CFR 64.2011(a)(2)"


def _delayable(clock: BreachClock) -> bool:
    return (
        clock.regime == "fcc"
        and clock.notify == "subjects"
        and clock.done_at is None
        and clock.waived is None
    )


def _check_direction(directed_on: date, until: date, reference: str) -> str:
    ref = reference.strip()
    if not ref or len(ref) > 300:
        raise InvalidInput(
            "a law-enforcement delay needs the reference of the agency's written direction "
            f"(1 to 300 characters; {CITATION})",
            code="incident.invalid",
        )
    if until < directed_on:
        raise InvalidInput("a delay cannot end before it was directed", code="incident.invalid")
    return ref


def _next_until(clock: BreachClock, directed_on: date, until: date) -> date:
    """The new last day: an initial direction covers at most 30 days; an extension goes further."""
    if clock.delayed_until is None:
        limit = directed_on + timedelta(days=INITIAL_DELAY_DAYS)
        if until > limit:
            raise InvalidInput(
                f"an initial delay lasts at most {INITIAL_DELAY_DAYS} days (until "
                f"{limit.isoformat()}; {CITATION}); record a longer one as an extension",
                code="incident.invalid",
            )
        return until
    if until <= clock.delayed_until:
        raise InvalidInput(
            f"an extension ends after the current delay ({clock.delayed_until.isoformat()}); "
            "record an earlier end as a lift",
            code="incident.invalid",
        )
    return until


def delay_customers(
    clocks: Sequence[BreachClock], directed_on: date, until: date, reference: str
) -> list[BreachClock]:
    """Record an agency's direction (or its extension) to delay FCC customer notice to ``until``."""
    ref = _check_direction(directed_on, until, reference)
    if not any(_delayable(c) for c in clocks):
        raise InvalidInput(
            "no open FCC customer notice to delay (the delay applies to FCC-BR-1/FCC-BR-2 customers)",
            code="incident.invalid",
        )
    return [
        replace(
            c,
            delayed_until=_next_until(c, directed_on, until),
            delay_reference="; ".join(x for x in (c.delay_reference, ref) if x),
        )
        if _delayable(c)
        else c
        for c in clocks
    ]


def lift_delay(clocks: Sequence[BreachClock], lifted_on: date, reference: str) -> list[BreachClock]:
    """The agency says notice no longer impedes it: customers may be told from ``lifted_on``."""
    ref = _check_direction(lifted_on, lifted_on, reference)
    held = [c for c in clocks if _delayable(c) and c.delayed_until is not None]
    if not held:
        raise InvalidInput("no law-enforcement delay to lift", code="incident.invalid")
    last = lifted_on - timedelta(days=1)
    return [
        replace(
            c,
            delayed_until=min(last, c.delayed_until) if c.delayed_until else None,
            delay_reference=f"{c.delay_reference}; lifted: {ref}",
        )
        if c in held
        else c
        for c in clocks
    ]


def is_delayed(clock: BreachClock, day: date) -> bool:
    """Whether a law-enforcement delay holds the clock on ``day``."""
    return clock.delayed_until is not None and day <= clock.delayed_until


def check_not_delayed(clock: BreachClock, day: date) -> None:
    """Refuse a customer notice during a law-enforcement delay."""
    if is_delayed(clock, day) and clock.delayed_until is not None:
        raise PolicyViolation(
            f"law enforcement directed the carrier not to notify customers until "
            f"{clock.delayed_until.isoformat()} ({CITATION}; {clock.delay_reference}): notify "
            "after it ends, or record that the agency lifted it",
            code="incident.invalid",
        )
