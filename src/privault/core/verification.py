"""How sure of the requester's identity a Californian request must be (11 CCR §§7060-7062). Pure.

The CCPA regulations set two degrees of certainty for a requester without an account:

- a *reasonable degree of certainty* (§7062(b)): for a request to know categories of personal
  information; it "may include matching at least two data points provided by the consumer with data
  points maintained by the business" — privault asks for two matched, verified data points;
- a *reasonably high degree of certainty* (§7062(c)): for a request to know specific pieces of
  personal information; it "may include matching at least three pieces of personal information ...
  together with a signed declaration under penalty of perjury" — privault asks for three matched,
  verified data points and a signed declaration, which it keeps with the request's record.

A request to delete or correct needs one or the other "depending on the sensitivity of the personal
information and the risk of harm" (§7062(d)): privault asks for the higher degree (three points, no
declaration) when the matched person holds data of a non-ordinary sensitivity (payment, special,
children's, CPNI; §7060(b)(3)(A) presumes the data of Civ. Code 1798.81.5(d) sensitive), and the
reasonable degree otherwise. An account holder may be verified through the business's own
authentication of the account, re-authenticated before data is disclosed, deleted or corrected
(§7061(a)): that meets either degree.

Sources: §7061(a) and §7060 were read in the regulation's text; the figures of §7062 (two points;
three and a declaration; deletion by sensitivity) only in accounts of it and of its predecessor,
11 CCR §999.325 — the current §7062 text was not retrieved, so its subsection letters are
unverified, and so is that §7062(d) names requests to *correct* beside requests to delete (privault
treats them alike).

A data point counts when it is both *verified* and *matched*: an identity whose one-time code the
requester entered and which the vault holds for the person matched, or a data point a named member of
staff matched against the business's records (the point's name is kept, never its value).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from privault.core.laws.model import Right
from privault.core.requests import IDENTITY_KINDS
from privault.errors import InvalidInput

CATEGORY_POINTS = 2  # 11 CCR §7062(b): "at least two data points"
PIECES_POINTS = 3  # 11 CCR §7062(c): "at least three pieces of personal information"

# The declaration a requester signs for specific pieces of information (11 CCR §7062(c); "signed"
# includes electronically under the Uniform Electronic Transactions Act, §7001).
DECLARATION_VERSION = "ccpa-7062c-1"
DECLARATION_TEXT = (
    "I declare under penalty of perjury under the laws of the State of California that I am the "
    "consumer whose personal information is the subject of this request."
)
DECLARATION_SHA256 = hashlib.sha256(DECLARATION_TEXT.encode()).hexdigest()

# The rights whose verification the CCPA regulations set (opt-outs and limits need none: §7026, §7027).
KNOW = frozenset({Right.ACCESS, Right.PORTABILITY})
DELETE_OR_CORRECT = frozenset({Right.ERASURE, Right.RECTIFICATION})


class Degree(StrEnum):
    """The degree of certainty a request needs."""

    REASONABLE = "reasonable"  # §7062(b)
    REASONABLY_HIGH = "reasonably_high"  # §7062(c), (d)


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a request needs before it is fulfilled."""

    degree: Degree
    points: int
    declaration: bool
    citation: str


CATEGORIES = Requirement(Degree.REASONABLE, CATEGORY_POINTS, False, "11 CCR §7062(b)")
PIECES = Requirement(Degree.REASONABLY_HIGH, PIECES_POINTS, True, "11 CCR §7062(c)")
DELETE_ORDINARY = Requirement(Degree.REASONABLE, CATEGORY_POINTS, False, "11 CCR §7062(d)")
DELETE_SENSITIVE = Requirement(Degree.REASONABLY_HIGH, PIECES_POINTS, False, "11 CCR §7062(d)")


@dataclass(frozen=True, slots=True)
class Evidence:
    """What is known of the requester: matched, verified data points (names), a signed declaration,
    a re-authentication through their account."""

    points: frozenset[str] = frozenset()
    declaration: bool = False
    account: bool = False


def requirement(right: Right, *, sensitive: bool, categories: bool = False) -> Requirement | None:
    """The level a Californian request needs, or None when the regulations set none for the right.

    ``categories``: a request to know categories only; ``sensitive``: the person matched holds data
    of a non-ordinary sensitivity."""
    if right in KNOW:
        return CATEGORIES if categories else PIECES
    if right in DELETE_OR_CORRECT:
        return DELETE_SENSITIVE if sensitive else DELETE_ORDINARY
    return None


def shortfall(needed: Requirement, evidence: Evidence) -> str | None:
    """None when the evidence meets the requirement, else what is still missing (one sentence)."""
    if evidence.account:
        return None  # §7061(a): verified through the account, re-authenticated
    missing = []
    if len(evidence.points) < needed.points:
        missing.append(
            f"{needed.points - len(evidence.points)} more matched data point(s) "
            f"({len(evidence.points)} of {needed.points})"
        )
    if needed.declaration and not evidence.declaration:
        missing.append("a signed declaration under penalty of perjury")
    if not missing:
        return None
    degree = needed.degree.value.replace("_", " ")
    return f"{needed.citation} ({degree} degree of certainty) needs " + " and ".join(missing)


_POINT_NAME = re.compile(r"[a-z][a-z0-9_.-]{0,39}")


def point_names(names: Iterable[str]) -> frozenset[str]:
    """Staff-matched data point names, cleaned (lower case, no blanks); a name that looks like a
    value (spaces, ``@``, digits first, over 40 characters) is InvalidInput: the value is never kept;
    so is an email or phone, which count by their codes (else one identity would count twice)."""
    cleaned = frozenset(n.strip().lower() for n in names if n.strip())
    for name in cleaned:
        if not _POINT_NAME.fullmatch(name):
            raise InvalidInput(
                "name each data point (e.g. postal_address, last_order), never its value",
                code="verification.failed",
            )
        if name.split(".")[0].split("_")[0] in IDENTITY_KINDS:
            raise InvalidInput(
                f"'{name}': email addresses and phone numbers count by their one-time codes",
                code="verification.failed",
            )
    return cleaned
