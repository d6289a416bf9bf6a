"""GDPR Art. 34(3): when the affected people need not be told one by one (GDPR-BR-3). Pure.

Art. 34(1): a breach "likely to result in a high risk" is communicated to the data subjects
without undue delay. Art. 34(3) lifts that duty when (a) the data were protected, e.g. encrypted,
so as to be unintelligible to anyone not authorised; (b) measures taken since mean the high risk
is no longer likely to materialise; (c) it would involve disproportionate effort - then "there
shall instead be a public communication or similar measure whereby the data subjects are informed
in an equally effective manner".

The exception closes the subjects' clock with its code (``exception``) and its justification
(``waived``); under (c) a ``public`` clock takes its place, due without undue delay. The supervisory
authority may still require the communication (34(4)): record it as a notification when it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from privault.core.breach_clock import BreachClock
from privault.errors import InvalidInput

RULE = "GDPR-BR-3"
PUBLIC = "public"
EXCEPTIONS = {
    "34(3)(a)": "the data were made unintelligible to anyone not authorised (e.g. encryption)",
    "34(3)(b)": "measures taken since mean the high risk is no longer likely to materialise",
    "34(3)(c)": "individual notices would involve disproportionate effort: a public communication "
    "informs the data subjects instead",
}
PUBLIC_FALLBACK = "34(3)(c)"
MAX_JUSTIFICATION = 2000


def _open_subjects(clock: BreachClock) -> bool:
    return (
        clock.rule == RULE
        and clock.notify == "subjects"
        and clock.done_at is None
        and clock.waived is None
    )


def _check(code: str, justification: str) -> str:
    if code not in EXCEPTIONS:
        raise InvalidInput(
            f"a GDPR Art. 34(3) exception is one of: {', '.join(EXCEPTIONS)}",
            code="incident.invalid",
        )
    text = justification.strip()
    if not text or len(text) > MAX_JUSTIFICATION:
        raise InvalidInput(
            f"an Art. 34(3) exception needs its justification (1 to {MAX_JUSTIFICATION} "
            "characters): the controller must be able to show why it applies (Art. 5(2))",
            code="incident.invalid",
        )
    return text


def _public(clock: BreachClock) -> BreachClock:
    text = "without undue delay, instead of individual notices (GDPR 34(3)(c))"
    whom = "the public (a communication informing the data subjects as effectively)"
    return BreachClock(clock.regime, RULE, PUBLIC, whom, text, on_behalf=clock.on_behalf)


def exempt_subjects(
    clocks: Sequence[BreachClock], code: str, justification: str
) -> list[BreachClock]:
    """Close the open GDPR subjects' clock under ``code`` with its justification (and add the
    public communication for 34(3)(c))."""
    text = _check(code, justification)
    found = [c for c in clocks if _open_subjects(c)]
    if not found:
        raise InvalidInput(
            "no open GDPR-BR-3 notice to the data subjects (risk not high, or already made)",
            code="incident.invalid",
        )
    updated = [replace(c, waived=text, exception=code) if c in found else c for c in clocks]
    if code == PUBLIC_FALLBACK:
        updated += [_public(c) for c in found]
    return updated
