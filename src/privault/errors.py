"""The one error tree. Every error privault raises on purpose is a :class:`PrivaultError`.

Each class has a stable ``code`` (documented in ``docs/errors.md``) and an HTTP ``status``;
the API maps them to ``application/problem+json`` in one place (``api/errors.py``) and the CLI to a
one-line message and exit code (``cli/app.py``). Messages never carry personal data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class PrivaultError(Exception):
    """Base of every deliberate privault error."""

    code = "privault.error"
    status = 500
    title = "Internal error"
    exit_code = 1

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class InvalidInput(PrivaultError):
    """The caller sent something malformed; nothing was changed."""

    code = "input.invalid"
    status = 422
    title = "Invalid input"
    exit_code = 2


class NotFound(PrivaultError):
    """The thing asked for does not exist (in the caller's tenant)."""

    code = "not_found"
    status = 404
    title = "Not found"
    exit_code = 3


class Conflict(PrivaultError):
    """The change clashes with the current state."""

    code = "conflict"
    status = 409
    title = "Conflict"
    exit_code = 4


class Unauthenticated(PrivaultError):
    """No valid credentials were presented."""

    code = "auth.unauthenticated"
    status = 401
    title = "Unauthenticated"
    exit_code = 5


class Forbidden(PrivaultError):
    """The principal is known but not allowed to do this."""

    code = "auth.forbidden"
    status = 403
    title = "Forbidden"
    exit_code = 5


class PolicyViolation(PrivaultError):
    """The manifest's policy (or the law it encodes) does not allow this."""

    code = "policy.violation"
    status = 422
    title = "Policy violation"
    exit_code = 6


class ConfigurationError(PrivaultError):
    """Settings, keys or files privault needs are missing or wrong."""

    code = "config.invalid"
    status = 500
    title = "Configuration error"
    exit_code = 7


class StorageError(PrivaultError):
    """The database could not be reached or is not at the expected schema."""

    code = "storage.unavailable"
    status = 503
    title = "Storage unavailable"
    exit_code = 8


class ConnectorError(PrivaultError):
    """A connected datastore, messenger or webhook failed."""

    code = "connector.failed"
    status = 502
    title = "Connector failed"
    exit_code = 9


class RateLimited(PrivaultError):
    """Too many requests of this kind from this client (or for this identity or login) for now;
    ``retry_after`` says in how many seconds to try again (the ``Retry-After`` header)."""

    code = "rate.limited"
    status = 429
    title = "Too many requests"

    def __init__(self, retry_after: int, message: str = "", *, code: str | None = None) -> None:
        self.retry_after = max(1, retry_after)
        text = message or f"too many requests: try again in {_wait(self.retry_after)}"
        super().__init__(text, code=code)

    @property
    def headers(self) -> dict[str, str]:
        """The ``Retry-After`` header of the 429 answer."""
        return {"Retry-After": str(self.retry_after)}


def _wait(seconds: int) -> str:
    """``45 seconds``, ``3 minutes``, ``2 hours``: a wait people read (rounded up)."""
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 7200:
        return f"{-(-seconds // 60)} minutes"
    return f"{-(-seconds // 3600)} hours"


@dataclass(frozen=True, slots=True)
class ManifestIssue:
    """One problem found in a manifest, with where it is and how to fix it."""

    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        text = f"{where}: {self.message}" + (f" [{self.path}]" if self.path else "")
        return text + (f"\n    hint: {self.hint}" if self.hint else "")


class ManifestInvalid(InvalidInput):
    """The manifest has one or more problems; all of them are listed."""

    code = "manifest.invalid"
    title = "Invalid manifest"
    exit_code = 1

    def __init__(self, issues: Sequence[ManifestIssue]) -> None:
        count = len(issues)
        super().__init__(f"the manifest has {count} problem{'s' if count != 1 else ''}")
        self.issues = list(issues)


ALL_ERRORS: tuple[type[PrivaultError], ...] = (
    PrivaultError,
    InvalidInput,
    NotFound,
    Conflict,
    Unauthenticated,
    Forbidden,
    PolicyViolation,
    ConfigurationError,
    StorageError,
    ConnectorError,
    ManifestInvalid,
    RateLimited,
)

# Codes raised with ``code=`` overrides somewhere in the code base; docs list them all.
EXTRA_CODES: tuple[str, ...] = (
    "method_not_allowed",
    "http.error",
    "storage.tenant_unbound",
    "tenant.unknown",
    "notice.version_unknown",
    "api_key.unknown",
    "api_key.invalid",
    "role.unknown",
    "storage.schema_outdated",
    "storage.migration_failed",
    "keyring.missing",
    "keyring.unreadable",
    "keyring.wrong_tenant",
    "keyring.mismatch",
    "keyring.permissions",
    "audit.rewritten",
    "audit.witness_unreadable",
    "job.not_found",
    "crypto.open_failed",
    "access.denied",
    "purpose.unknown",
    "purpose.limitation",
    "source.unknown",
    "category.unknown",
    "identity.invalid",
    "subject.unknown",
    "subject.exists",
    "storage.duplicate",
    "consent.invalid",
    "consent.unknown_scope",
    "consent.evidence_missing",
    "consent.visitor_unproven",
    "brand.unknown",
    "unsubscribe.invalid",
    "jurisdiction.unknown",
    "request.right_unavailable",
    "request.extension_refused",
    "request.unknown",
    "request.invalid_transition",
    "request.not_verified",
    "request.invalid",
    "request.busy",
    "request.agent_confirmed",
    "request.pause_invalid",
    "request.denial_invalid",
    "request.not_appealable",
    "request.no_automated_decision",
    "request.outcome_missing",
    "request.task_invalid",
    "request.task_unknown",
    "verification.failed",
    "verification.limit",
    "verification.insufficient",
    "package.unknown",
    "package.expired",
    "dataset.invalid",
    "datastore.invalid",
    "datastore.exists",
    "datastore.unknown",
    "datastore.unreachable",
    "datastore.query_failed",
    "messenger.failed",
    "messenger.invalid_message",
    "messenger.unconfigured",
    "messenger.unknown",
    "package.invalid",
    "webhook.invalid_secret",
    "webhook.invalid_url",
    "webhook.invalid_event",
    "webhook.unknown",
    "webhook.signature_invalid",
    "job.unknown",
    "job.lease_lost",
    "hold.unknown",
    "hold.active",
    "retention.invalid",
    "collection.child_without_consent",
    "recipient.unknown",
    "disclosure.refused",
    "disclosure.invalid",
    "offer.invalid",
    "dpia.unknown",
    "dpia.invalid",
    "incident.unknown",
    "incident.invalid",
    "cpni.not_carrier",
    "cpni.invalid",
    "cpni.opted_out",
    "cpni.campaign_exists",
    "cpni.campaign_unknown",
    "cpni.campaign_state",
    "cpni.campaign_review",
    "cpni.campaign_unapproved",
    "cpni.password",
    "visit.invalid",
    "staff.invalid",
    "staff.exists",
    "staff.unknown",
    "staff.password_weak",
    "staff.login_failed",
    "staff.locked",
    "staff.session_invalid",
    "csrf.invalid",
    "lookup.invalid",
    "rate_limit.unavailable",
    "request.too_large",
    "value.too_long",
)


def all_error_codes() -> list[str]:
    """Every stable code privault can answer with."""
    return sorted({cls.code for cls in ALL_ERRORS} | set(EXTRA_CODES))
