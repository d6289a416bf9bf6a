"""One breach notification clock and its state now. Pure; no I/O.

A clock is what one regime asks of one addressee (``notify``): due at an instant (hours), on a date
(days), or "without undue delay" (no date); possibly not before a date (the FCC's customers), held
back by a law-enforcement delay (``delayed_until``, ``core.breach_delays``) or closed with its reason
(``waived``; a GDPR 34(3) exception also records its ``exception`` code, ``core.breach_exemptions``).
US clocks count days in New York's zone; the others in UTC.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from privault.core.deadlines import local_day

US = "us"
US_REGIMES = ("fcc", "us-states")
_DATES = ("due_on", "not_before", "delayed_until")


@dataclass(frozen=True, slots=True)
class BreachClock:
    """One notification an incident calls for, and whether it was made."""

    regime: str
    rule: str
    notify: str
    whom: str
    due_text: str
    due_at: datetime | None = None  # an instant (hours)
    due_on: date | None = None  # a date (business days, annual summary)
    not_before: date | None = None
    on_behalf: bool = False
    done_at: datetime | None = None
    late_reason: str | None = None
    waived: str | None = None
    exception: str | None = None  # GDPR 34(3)(a)-(c), with ``waived`` as its justification
    delayed_until: date | None = None  # a law-enforcement delay's last day (FCC 64.2011)
    delay_reference: str | None = None  # the agency's written direction (and extensions)

    def to_json(self) -> dict[str, Any]:
        """The stored form (ISO strings)."""
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BreachClock:
        """Back from the stored form."""
        values = dict(data)
        for key in ("due_at", "done_at"):
            values[key] = datetime.fromisoformat(values[key]) if values.get(key) else None
        for key in _DATES:
            values[key] = date.fromisoformat(values[key]) if values.get(key) else None
        return cls(**values)


def zone_day(clock: BreachClock, at: datetime) -> date:
    """The day of ``at`` where the clock counts (New York for US clocks, UTC otherwise)."""
    return local_day(US, at) if clock.regime in US_REGIMES else at.astimezone(UTC).date()


def is_late(clock: BreachClock, at: datetime) -> bool:
    """Whether a notification made at ``at`` misses the clock's due time."""
    if clock.due_at is not None:
        return at > clock.due_at
    return clock.due_on is not None and zone_day(clock, at) > clock.due_on


def _span(delta: timedelta) -> str:
    hours = int(abs(delta).total_seconds() // 3600)
    return f"{hours // 24}d {hours % 24}h" if hours >= 48 else f"{hours}h"


def _open_state(clock: BreachClock, now: datetime) -> str:
    """The state of a clock not yet done."""
    if clock.delayed_until is not None and zone_day(clock, now) <= clock.delayed_until:
        return f"delayed until {clock.delayed_until.isoformat()} (law enforcement)"
    if clock.due_at is not None:
        left = clock.due_at - now
        return f"due in {_span(left)}" if left.total_seconds() >= 0 else f"overdue by {_span(left)}"
    if clock.due_on is not None:
        days = (clock.due_on - zone_day(clock, now)).days
        if days < 0:
            return f"overdue by {-days}d"
        return "due today" if days == 0 else f"due in {days}d"
    if clock.not_before is not None and zone_day(clock, now) < clock.not_before:
        return f"wait until {clock.not_before.isoformat()}"
    return f"due now ({clock.due_text})"


def clock_state(clock: BreachClock, now: datetime) -> str:
    """``done``, ``waived``, ``due in ...``, ``overdue by ...``, ``due now``, ``wait until ...`` or
    ``delayed until ...``."""
    if clock.waived is not None:
        return "waived"
    if clock.done_at is not None:
        return "done (late)" if clock.late_reason else "done"
    return _open_state(clock, now)
