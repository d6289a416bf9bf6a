"""Form handling for the privacy center: the request form's checks (the per-form CSRF token is
``services/form_tokens.py``).

Error messages name the field and the problem, never the value typed (it stays in the field only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from privault.core.identities import is_valid
from privault.core.jurisdictions import JURISDICTIONS
from privault.core.requests import Channel

DETAILS_MAX = 2000


@dataclass(slots=True)
class RequestForm:
    """What the request form sent, as typed."""

    jurisdiction: str
    right: str = ""
    email: str = ""
    phone: str = ""
    details: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def check(self, allowed: list[str]) -> bool:
        """Fill ``errors`` field by field (``allowed``: the choices' values); True when the form
        can be sent to the service."""
        if self.right not in allowed:
            self.errors["right"] = "Choose one of the rights listed."
        if not self.email.strip() and not self.phone.strip():
            self.errors["email"] = "Give an email address or a phone number (or both)."
        self._identity("email", self.email, "Enter an email address such as name@example.com.")
        self._identity("phone", self.phone, "Enter a phone number with its country code, e.g. +1.")
        if len(self.details) > DETAILS_MAX:
            self.errors["details"] = f"Keep the details under {DETAILS_MAX} characters."
        return not self.errors

    def _identity(self, kind: str, value: str, message: str) -> None:
        if not value.strip():
            return
        if not is_valid(kind, value, JURISDICTIONS[self.jurisdiction].phone_region):
            self.errors[kind] = message

    def as_request(self, brand: str | None) -> dict[str, Any]:
        """The request as ``services.requests.open_request`` takes it (channel web)."""
        identities = {k: [v.strip()] for k, v in (("email", self.email), ("phone", self.phone))}
        right, _, decision = self.right.partition(":")  # human_review:<purpose>
        return {
            "type": right,
            "decision": decision or None,
            "identities": {k: v for k, v in identities.items() if v[0]},
            "jurisdiction": self.jurisdiction,
            "brand": brand,
            "channel": Channel.WEB,
            "details": self.details.strip(),
        }
