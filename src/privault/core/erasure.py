"""Which erasure exceptions each law recognises, and the strictest combination of several laws.

Data may be kept from an erasure request only where *every* law that grants the person the right to
erasure allows keeping it (an intersection): a Californian's erasure at a UK company keeps nothing
under CCPA's "internal uses", which UK GDPR Art. 17(3) does not know. Laws that grant no erasure
right (US federal law) do not count. A legal hold and a legal obligation are recognised by every
law, each under its own provision. Each kept item names the provisions that allowed it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from privault.core.jurisdictions import JURISDICTIONS, Right

LEGAL_HOLD = "legal_hold"
LEGAL_OBLIGATION = "legal_obligation"

_GDPR = {
    "freedom_of_expression": "17(3)(a)",
    LEGAL_OBLIGATION: "17(3)(b)",
    "public_health": "17(3)(c)",
    "archiving_research": "17(3)(d)",
    "legal_claims": "17(3)(e)",
    LEGAL_HOLD: "17(3)(e)",
}

# code -> the provision of that law which allows keeping the data
LAW_EXCEPTIONS: dict[str, dict[str, str]] = {
    "eu": {code: f"GDPR Art. {where}" for code, where in _GDPR.items()},
    "uk": {code: f"UK GDPR Art. {where}" for code, where in _GDPR.items()},
    "us-ca": {
        "complete_transaction": "CCPA 1798.105(d)(1)",
        "security_integrity": "CCPA 1798.105(d)(2)",
        "debug": "CCPA 1798.105(d)(3)",
        "freedom_of_expression": "CCPA 1798.105(d)(4)",
        "calecpa": "CCPA 1798.105(d)(5)",
        "archiving_research": "CCPA 1798.105(d)(6)",
        "internal_uses": "CCPA 1798.105(d)(7)",
        LEGAL_OBLIGATION: "CCPA 1798.105(d)(8)",
        "legal_claims": "CCPA 1798.145(a)(1)(E)",
        LEGAL_HOLD: "CCPA 1798.145(a)(1)(E)",
    },
    "ca": {
        LEGAL_OBLIGATION: "PIPEDA Sch. 1 cl. 4.5 (retention required by law)",
        "legal_claims": "PIPEDA Sch. 1 cl. 4.5 (kept to exhaust recourse, s. 8(8))",
        LEGAL_HOLD: "PIPEDA s. 8(8)",
        "freedom_of_expression": "PIPEDA s. 4(2)(c)",
    },
    "ca-qc": {
        LEGAL_OBLIGATION: "Québec Private Sector Act s. 23 (retention period set by an Act)",
        "legal_claims": "Québec Private Sector Act s. 23 (retention period set by an Act)",
        LEGAL_HOLD: "Québec Private Sector Act s. 23 (retention period set by an Act)",
    },
    "in": {
        LEGAL_OBLIGATION: "DPDP Act s. 8(7)(b), s. 12(3)",
        "legal_claims": "DPDP Act s. 17(1)(a)",
        LEGAL_HOLD: "DPDP Act s. 17(1)(a)",
        "archiving_research": "DPDP Act s. 17(2)(b)",
    },
}


def erasure_laws(jurisdictions: Iterable[str]) -> list[str]:
    """The request's laws that grant a right to erasure (those whose exceptions count)."""
    return [
        k
        for k in dict.fromkeys(jurisdictions)
        if k in JURISDICTIONS and Right.ERASURE in JURISDICTIONS[k].rights
    ]


def _provisions(key: str) -> Mapping[str, str]:
    """A law's exceptions; a law not in the table keeps only what a legal obligation or hold
    requires (the narrowest list any erasure law has)."""
    known = LAW_EXCEPTIONS.get(key)
    if known is not None:
        return known
    name = JURISDICTIONS[key].name if key in JURISDICTIONS else key
    return {
        LEGAL_OBLIGATION: f"{name}: retention required by law",
        LEGAL_HOLD: f"{name}: legal hold",
    }


def allowed_by(code: str, laws: Iterable[str]) -> str | None:
    """The provisions under which each of ``laws`` allows keeping data under ``code`` (joined with
    '; '), or None when one of them does not: that law decides and the data is erased. With no
    erasure law, only a legal obligation or hold keeps anything."""
    keys = list(laws)
    if not keys:
        return "retention required by law" if code in (LEGAL_OBLIGATION, LEGAL_HOLD) else None
    found = []
    for key in keys:
        provision = _provisions(key).get(code)
        if provision is None:
            return None
        found.append(provision)
    return "; ".join(dict.fromkeys(found))


def refused_by(code: str, laws: Iterable[str]) -> list[str]:
    """The erasure laws that do not allow keeping data under ``code`` (why it was not kept)."""
    return [key for key in laws if code not in _provisions(key)]
