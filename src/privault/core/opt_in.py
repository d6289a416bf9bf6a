"""CCPA-OI-1: asking a consumer who opted out of sale or sharing to opt back in. No I/O.

- Cal. Civ. Code 1798.135(c)(4): after an opt-out of sale or sharing the business waits at least
  12 months before asking the consumer to authorize the sale or sharing again. So, within 12
  months of the opt-out, only an opt-in the consumer starts is taken, and the preference data
  tells the banner not to ask (``ask_after``).
- 11 CCR 7028(a): an opt-in to sale or sharing uses a two-step process: the consumer first
  clearly requests to opt in, then separately confirms the choice. A grant after an opt-out
  is taken only through that request-then-confirm path (``services/opt_in.py``).

A grant of sale/sharing by someone who never opted out (a teen's own opt-in, CCPA-MIN-1) is
not an opt-*back*-in and goes through as before; imported history (method ``import``) records
what another system already took, and is not re-checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from privault.core.audit import from_micros
from privault.core.consent import Choice, Kind, Method, State, topic
from privault.core.deadlines import add_months
from privault.errors import PolicyViolation

OPT_IN_REASK_MONTHS = 12  # Cal. Civ. Code 1798.135(c)(4): "at least 12 months"
# How long a request waits for its separate confirmation: privault's policy (the statute sets none).
OPT_IN_CONFIRM_WITHIN = timedelta(hours=24)
SALE_TOPIC = topic(Kind.SALE_SHARING, "*")
CCPA_OI_RULE = "CCPA-OI-1"


def opted_out_at(state: State) -> datetime | None:
    """When the opt-out of sale or sharing now in force was made (None: none in force)."""
    entry = state.get(SALE_TOPIC)
    if entry is None or entry.granted:
        return None
    return from_micros(entry.at_us)


def ask_after(state: State) -> datetime | None:
    """The first instant at which the business may ask this holder to opt back in (None: no
    opt-out in force, nothing holds the business back)."""
    out = opted_out_at(state)
    if out is None:
        return None
    day = add_months(out.date(), OPT_IN_REASK_MONTHS)
    return datetime.combine(day, out.timetz())


def may_prompt(state: State, at: datetime) -> bool:
    """May a banner or an agent ask this holder to opt in to sale or sharing at ``at``?"""
    after = ask_after(state)
    return after is None or at >= after


def check_request(state: State, at: datetime, *, consumer_initiated: bool) -> None:
    """Refuse a request to opt back in that the business starts within 12 months of the opt-out."""
    after = ask_after(state)
    if after is not None and at < after and not consumer_initiated:
        raise PolicyViolation(
            f"the person opted out of sale or sharing; they may not be asked to opt back in "
            f"before {after:%Y-%m-%d} (Cal. Civ. Code 1798.135(c)(4)): only an opt-in the "
            "consumer starts is taken",
            code="consent.opt_in_too_soon",
        )


def check_grants(
    states: Iterable[State], choices: Sequence[Choice], method: Method, *, two_step: bool
) -> None:
    """Refuse a sale/sharing grant after an opt-out that did not come request-then-confirm."""
    if two_step or method is Method.IMPORT:
        return
    if not any(c.kind is Kind.SALE_SHARING and c.granted for c in choices):
        return
    if any(opted_out_at(state) is not None for state in states):
        raise PolicyViolation(
            "an opt-in to sale or sharing after an opt-out takes two steps: the consumer "
            "requests it, then separately confirms it (11 CCR 7028(a)); use the opt-in "
            "request and confirm endpoints",
            code="consent.opt_in_two_step",
        )
