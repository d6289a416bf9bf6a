"""The search scope of an access request: which systems were searched, and which were not and why.
Pure.

UK GDPR Art. 15(1A) (inserted by the Data (Use and Access) Act 2025, s. 78, in force since 19 June
2025; the section number and date are unverified here): the person is entitled to what the
controller can provide based on a "reasonable and proportionate search". A controller that limits
its search has to be able to show the limit was reasonable and proportionate, so the scope is
recorded: what was searched, and each system left out with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from privault.errors import InvalidInput

MAX_SYSTEMS = 50
"""The most systems one scope names (a bound on input, not a legal figure)."""

MIN_REASON = 10
"""The shortest reason accepted for leaving a system out (a policy choice, not a legal figure)."""


@dataclass(frozen=True, slots=True)
class SearchScope:
    """What was searched for one request, and what was left out with the reason."""

    searched: tuple[str, ...]
    left_out: tuple[tuple[str, str], ...]  # (system, why it was not searched)

    def as_json(self) -> dict[str, Any]:
        """How it is kept on the request's timeline."""
        return {
            "searched": list(self.searched),
            "left_out": [{"system": s, "why": why} for s, why in self.left_out],
        }


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, code="request.scope_invalid")


def scope_of(searched: Sequence[str], left_out: Mapping[str, str]) -> SearchScope:
    """A scope from staff input, or InvalidInput (request.scope_invalid) naming what is wrong."""
    found = tuple(dict.fromkeys(s.strip() for s in searched if s.strip()))
    skipped = tuple((s.strip(), why.strip()) for s, why in left_out.items())
    names = [*found, *(s for s, _ in skipped)]
    if not names:
        raise _invalid("name the systems searched, or those left out and why")
    if len(names) > MAX_SYSTEMS or any(not 0 < len(n) <= 100 for n in names):
        raise _invalid(f"name at most {MAX_SYSTEMS} systems, each in 1 to 100 characters")
    both = sorted(set(found) & {s for s, _ in skipped})
    if both:
        raise _invalid(f"'{both[0]}' cannot be both searched and left out")
    short = [s for s, why in skipped if len(why) < MIN_REASON]
    if short:
        raise _invalid(
            f"say why '{short[0]}' was not searched (at least {MIN_REASON} characters): the search "
            "must be reasonable and proportionate (UK GDPR Art. 15(1A))"
        )
    return SearchScope(found, skipped)


def parse_left_out(pairs: Sequence[str]) -> dict[str, str]:
    """``system=why`` pairs as the command line takes them."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        system, sep, why = pair.partition("=")
        if not sep:
            raise _invalid(f"write a system left out as SYSTEM=WHY, not {pair!r}")
        parsed[system.strip()] = why
    return parsed
