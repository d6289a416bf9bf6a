"""Account-change alerts of a US carrier (FCC-AUTH-2, 47 CFR 64.2010(f)), and the check that a
CPNI password is not built from biographical information (64.2010(b), (e)).

The vault's writes call :func:`account_change` inside their transaction, before the values are
written: it refuses a biographical password, and, when a password, back-up answer, address,
e-mail address or telephone number is created or changed, audits ``cpni:alert`` and returns the
alert, addressed to a contact held *before* the change (a text to the telephone number of record,
else an e-mail address; never one this write adds). The caller hands it to the messenger once the transaction committed
(:func:`send_alert`). The alert says what kind of data changed, never the data. A subject's first
values (service initiation) are not a change: only updates and rectifications call this.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import structlog

from privault.core.cpni import (
    PASSWORD,
    Change,
    alert_text,
    changes,
    check_password,
    company,
    under_cpni_rules,
    within,
)
from privault.core.identities import normalise
from privault.core.manifest import Manifest
from privault.core.manifest.resolve import TenantView
from privault.core.ports import UnitOfWork
from privault.core.records import SubjectRecord
from privault.crypto.envelope import SubjectCipher
from privault.errors import PrivaultError
from privault.outbound.messenger import Message, Messenger
from privault.services.audit import Entry, record

log = structlog.get_logger(__name__)

# What a password must not be built from: name, contact details, birth date, account number.
_BIOGRAPHICAL = ("user.name", "user.contact", "user.demographic", "cc.account.number")
# Where an alert goes: a text to the telephone number of record (a means 64.2010(f) names), else
# an e-mail address held (postal mail to the address of record is outside privault).
_ROUTES: tuple[tuple[str, Literal["email", "sms"]], ...] = (("phone", "sms"), ("email", "email"))


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert decided inside a transaction; ``message`` is None when no prior contact is held."""

    uid: str
    changed: tuple[Change, ...]
    message: Message | None


@dataclass(frozen=True, slots=True)
class Write:
    """What one vault write changes: field values by category, and identities added."""

    data: Mapping[str, object]
    added: Sequence[tuple[str, str]] = ()


def account_change(
    uow: UnitOfWork,
    manifest: Manifest,
    view: TenantView,
    cipher: SubjectCipher,
    subject: SubjectRecord,
    write: Write,
    actor: str,
    at: datetime,
) -> Alert | None:
    """Check a new CPNI password and decide the 64.2010(f) alert (None: not a carrier, or nothing
    the rule names changed). Raises InvalidInput for a biographical password; nothing is written."""
    if not under_cpni_rules(view):
        return None
    changed = tuple(changes(manifest, write.data, [k for k, _ in write.added]))
    if not changed:
        return None
    held = _held(uow, cipher, subject, manifest)
    if Change.PASSWORD in changed:
        _check_passwords(manifest, write, held)
    fresh = {(k, normalise(k, v, view.phone_region)) for k, v in write.added}
    message = _message(view, held, fresh, changed, at)
    details: dict[str, object] = {"changed": [c.value for c in changed]}
    details |= {"channel": message.channel} if message else {"reason": "no contact of record"}
    outcome = "ok" if message else "failed"
    record(uow, [Entry(actor, "cpni:alert", subject.uid, None, outcome, details)], at)
    return Alert(subject.uid, changed, message)


def _held(
    uow: UnitOfWork, cipher: SubjectCipher, subject: SubjectRecord, manifest: Manifest
) -> list[tuple[str, str]]:
    """The subject's identities and biographical values as held before the write: (kind, value)."""
    found = [
        (i.kind, str(cipher.open_value(f"identity:{i.kind}", i.ciphertext).reveal()))
        for i in uow.subjects.identities([subject.id])
    ]
    for f in uow.subjects.fields([subject.id]):
        if any(within(manifest, f.category, b) for b in _BIOGRAPHICAL):
            found.append((f.category, str(cipher.open_value(f.field, f.ciphertext).reveal())))
    return found


def _check_passwords(manifest: Manifest, write: Write, held: list[tuple[str, str]]) -> None:
    biography = [v for _, v in held] + [v for _, v in write.added]
    biography += [
        str(v) for k, v in write.data.items() if any(within(manifest, k, b) for b in _BIOGRAPHICAL)
    ]
    for category, value in write.data.items():
        if within(manifest, category, PASSWORD):
            check_password(str(value), biography)


def _message(
    view: TenantView,
    held: list[tuple[str, str]],
    fresh: set[tuple[str, str]],
    changed: tuple[Change, ...],
    at: datetime,
) -> Message | None:
    """By text to the first phone number held before the change, else to the first e-mail address;
    never to one the change adds."""
    subject, body = alert_text(company(view), changed, at.date())
    for kind, channel in _ROUTES:
        for held_kind, value in held:
            to = normalise(kind, value, view.phone_region) if held_kind == kind else None
            if to is not None and (kind, to) not in fresh:
                return Message(channel, to, subject, body, view.tenant.key, "cpni_account_change")
    return None


def send_alert(messenger: Messenger | None, alert: Alert | None) -> bool:
    """Hand a committed alert to the messenger; False (logged, never the recipient) if it could not
    be sent."""
    if alert is None or alert.message is None:
        return alert is None
    if messenger is None:
        log.warning("cpni alert not sent: no messenger", subject=alert.uid)
        return False
    try:
        messenger.send(alert.message)
    except PrivaultError as exc:
        log.warning("cpni alert not sent", subject=alert.uid, code=exc.code)
        return False
    return True
