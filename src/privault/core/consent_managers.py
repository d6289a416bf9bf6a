"""DPDP-CM-1: consent given, managed, reviewed or withdrawn through a consent manager. No I/O.

DPDP Act s.6(7)-(9): a person may give, manage, review or withdraw consent through a consent
manager registered with the Data Protection Board; the fiduciary acts on it. A consent manager
passes a *consent artefact*: who consented, to which purposes, and the artefact's id. privault
takes an artefact that names its consent manager (the Board registration) and its artefact id,
records one ledger event per purpose with both as evidence, and takes a withdrawal that names the
same manager and artefact. The DPDP Rules 2025 (rule 4; First Schedule) oblige the consent manager
to keep its records at least seven years; the fiduciary's ledger here is append-only and outlives
the subject's erasure, so the events it received are kept at least as long. Rule 4 is in force
from 13 November 2026 (one year after the Rules' publication on 13 November 2025).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from privault.core.consent import Choice, Kind, check_reference
from privault.errors import InvalidInput

# DPDP Rules 2025, First Schedule (obligations of a consent manager): records kept at least seven
# years. Figure from secondary sources; the item number of the Schedule is unverified.
CONSENT_MANAGER_RECORD_YEARS = 7
CONSENT_MANAGER_RULES_FROM = date(
    2026, 11, 13
)  # DPDP Rules 2025 r.1: rule 4 a year after publication
DPDP = "in"
MANAGER_KEY = "consent_manager"
ARTEFACT_KEY = "artefact_id"


@dataclass(frozen=True, slots=True)
class Artefact:
    """A consent artefact (or its withdrawal) as a consent manager passes it on."""

    manager: str  # the consent manager's registration with the Board
    artefact_id: str
    purposes: tuple[str, ...] = ()  # a grant names its purposes; a withdrawal may leave them out
    granted: bool = True


def check_artefact(jurisdictions: Iterable[str], artefact: Artefact) -> None:
    """Refuse an artefact for a tenant outside the DPDP, or one that does not name its manager,
    its id, or (a grant) its purposes."""
    if DPDP not in jurisdictions:
        raise InvalidInput(
            "consent managers are a DPDP Act s.6(7) mechanism: this tenant is not under Indian law",
            code="consent.invalid",
        )
    for name, value in (
        ("consent manager", artefact.manager),
        ("artefact id", artefact.artefact_id),
    ):
        if not value:
            raise InvalidInput(f"a consent artefact names its {name}", code="consent.invalid")
        check_reference(name, value)
    if artefact.granted and not artefact.purposes:
        raise InvalidInput("a consent artefact names its purposes", code="consent.invalid")


def evidence_of(artefact: Artefact) -> dict[str, str]:
    """What the ledger keeps of the artefact, beside the choices."""
    return {MANAGER_KEY: artefact.manager, ARTEFACT_KEY: artefact.artefact_id}


def came_with(evidence_json: str, artefact: Artefact) -> bool:
    """Was a ledger event recorded from this manager's artefact?"""
    found = json.loads(evidence_json or "{}")
    return bool(
        found.get(MANAGER_KEY) == artefact.manager
        and found.get(ARTEFACT_KEY) == artefact.artefact_id
    )


def choices_of(artefact: Artefact, granted_before: Iterable[str]) -> list[Choice]:
    """The ledger choices: a grant's purposes; a withdrawal's, or (none named) every purpose the
    artefact granted."""
    purposes = artefact.purposes or tuple(dict.fromkeys(granted_before))
    return [Choice(Kind.PURPOSE, p, artefact.granted) for p in purposes]
