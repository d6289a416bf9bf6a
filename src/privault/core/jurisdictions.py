"""Jurisdictions privault knows, the rights each grants and the deadline each sets, as the law states it.

Deadlines are kept in the law's own unit (calendar months, calendar days, business days, hours) and
never converted; the deadline engine counts them. The tables live in ``core.laws`` (one module per law
family, each figure with its statute section; docs/laws/); this module gathers them by key.
"""

from __future__ import annotations

from datetime import date

from privault.core.laws import (
    ALL,
    RIGHT_TITLES,
    Jurisdiction,
    LegalPeriod,
    PeriodUnit,
    Right,
    RightPeriod,
)

__all__ = [
    "JURISDICTIONS",
    "RIGHT_TITLES",
    "Jurisdiction",
    "LegalPeriod",
    "PeriodUnit",
    "Right",
    "RightPeriod",
    "appeal_period",
    "universal_opt_out_laws",
]

JURISDICTIONS: dict[str, Jurisdiction] = {j.key: j for j in ALL}


def universal_opt_out_laws(keys: tuple[str, ...] | list[str], on: date) -> tuple[Jurisdiction, ...]:
    """The laws among ``keys`` that make a universal opt-out signal (GPC) binding on that day."""
    return tuple(
        JURISDICTIONS[k]
        for k in keys
        if k in JURISDICTIONS and JURISDICTIONS[k].universal_opt_out_binding(on)
    )


def appeal_period(key: str) -> RightPeriod | None:
    """The appeal clock of a law, or None where it grants no appeal."""
    found = JURISDICTIONS.get(key)
    return found.appeal if found else None
