"""Messengers: how one-time codes and notices reach people, by e-mail or SMS.

``OutboxMessenger`` (development, tests, or a relay that picks messages up) appends each message as
one JSON line to ``<folder>/outbox.jsonl``. ``SmtpMessenger`` sends e-mail through an SMTP server;
an SMS gateway is not built in, so it hands SMS messages to a fallback messenger (the outbox).
Neither ever logs a message body or a recipient: bodies carry codes, recipients are personal data.
"""

from __future__ import annotations

import json
import os
import secrets
import smtplib
import ssl
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import SecretStr

from privault.errors import ConfigurationError, ConnectorError, InvalidInput

OUTBOX_FILE = "outbox.jsonl"


@dataclass(frozen=True, slots=True)
class Message:
    """One message to one person."""

    channel: Literal["email", "sms"]
    to: str  # an e-mail address or an E.164 phone number: personal data, never logged
    subject: str
    body: str  # may hold a one-time code: never logged
    tenant: str
    kind: str  # e.g. "verification_code"

    def __repr__(self) -> str:
        return f"Message(channel={self.channel!r}, tenant={self.tenant!r}, kind={self.kind!r})"


class Messenger(Protocol):
    """Sends one message, or raises :class:`ConnectorError`."""

    def send(self, message: Message) -> None:
        """Send ``message`` now."""
        ...


# --- the outbox ----------------------------------------------------------------------------------


class OutboxMessenger:
    """Appends each message as one JSON line to ``<folder>/outbox.jsonl`` (owner-only)."""

    def __init__(self, folder: Path, echo: bool = False) -> None:
        self.folder = folder
        self.echo = echo

    @property
    def path(self) -> Path:
        """The outbox file."""
        return self.folder / OUTBOX_FILE

    def send(self, message: Message) -> None:
        """Append ``message`` with a random id and the time, in one write (safe to run at once)."""
        record = {
            "id": secrets.token_hex(8),
            "at": datetime.now(UTC).isoformat(),
            **asdict(message),
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            with open(self.path, "ab", buffering=0, opener=_owner_only) as outbox:
                outbox.write(line)  # one write(2) on an O_APPEND file: lines never interleave
        except OSError as exc:
            raise ConnectorError(
                f"the outbox could not be written ({type(exc).__name__})", code="messenger.failed"
            ) from None
        if self.echo:
            sys.stderr.write(_summary(record) + "\n")
            sys.stderr.flush()


def _owner_only(path: str, flags: int) -> int:
    """Open (and create) a file readable and writable by its owner only."""
    return os.open(path, flags, 0o600)


def _summary(record: dict[str, Any]) -> str:
    """One line about a message without its body, subject or recipient."""
    return (
        f"outbox: {record['channel']} {record['kind']} for tenant {record['tenant']} "
        f"(id {record['id']}; read it with `privault outbox`)"
    )


def read_outbox(folder: Path) -> list[dict[str, Any]]:
    """Every message in ``<folder>/outbox.jsonl``, oldest first (none if there is no outbox).

    A last line still being written (no newline yet) is left for the next read.
    """
    path = folder / OUTBOX_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    complete = text[: text.rfind("\n") + 1]
    return [json.loads(line) for line in complete.splitlines() if line.strip()]


# --- SMTP ----------------------------------------------------------------------------------------


class SmtpMessenger:
    """Sends e-mail through an SMTP server; SMS messages go to ``fallback`` (no SMS gateway here).

    With ``starttls`` the connection is upgraded (certificate checked) before logging in. Failures
    raise ``ConnectorError`` (code ``messenger.failed``) naming the kind of failure, never the
    recipient or the content.
    """

    def __init__(
        self,
        host: str,
        port: int,
        username: str | None,
        password: SecretStr | None,
        sender: str,
        starttls: bool,
        timeout: float = 10,
        *,
        fallback: Messenger,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.sender = sender
        self.starttls = starttls
        self.timeout = timeout
        self.fallback = fallback
        self._tls = tls_context

    def __repr__(self) -> str:
        return f"SmtpMessenger(host={self.host!r}, port={self.port}, sender={self.sender!r})"

    def send(self, message: Message) -> None:
        """E-mail now (SMS: hand to the fallback)."""
        if message.channel != "email":
            self.fallback.send(message)
            return
        email = _email(message, self.sender)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                self._open_session(smtp)
                smtp.send_message(email)
        except (smtplib.SMTPException, OSError) as exc:
            raise ConnectorError(_failure(exc), code="messenger.failed") from None

    def _open_session(self, smtp: smtplib.SMTP) -> None:
        """EHLO, STARTTLS when asked, and log in when a user name is set."""
        smtp.ehlo()
        if self.starttls:
            smtp.starttls(context=self._tls or ssl.create_default_context())
            smtp.ehlo()
        if self.username:
            password = self._password.get_secret_value() if self._password else ""
            smtp.login(self.username, password)


def _email(message: Message, sender: str) -> EmailMessage:
    """The message as an RFC 5322 e-mail; header injection is refused."""
    if any(ch in value for value in (message.to, message.subject, sender) for ch in "\r\n"):
        raise InvalidInput(
            "a message's recipient, subject and sender must be one line",
            code="messenger.invalid_message",
        )
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    email.set_content(message.body)
    return email


def _failure(exc: Exception) -> str:
    """What went wrong, without addresses (SMTP replies can echo them, so they are left out)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the SMTP server refused the recipient"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "the SMTP server refused the login"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the SMTP server answered {exc.smtp_code}"
    if isinstance(exc, TimeoutError):
        return "the SMTP server did not answer in time"
    return f"the SMTP server could not be used ({type(exc).__name__})"


# --- choosing one --------------------------------------------------------------------------------

_Factory = Callable[..., Messenger]


def _outbox(*, folder: Path, echo: bool, **_: object) -> Messenger:
    return OutboxMessenger(folder, echo)


def _smtp(
    *,
    folder: Path,
    echo: bool,
    smtp_host: str | None,
    smtp_port: int,
    smtp_username: str | None,
    smtp_password: SecretStr | None,
    smtp_sender: str | None,
    smtp_starttls: bool,
) -> Messenger:
    if not smtp_host or not smtp_sender:
        raise ConfigurationError(
            "the smtp messenger needs an SMTP host and a sender address",
            code="messenger.unconfigured",
        )
    return SmtpMessenger(
        smtp_host,
        smtp_port,
        smtp_username,
        smtp_password,
        smtp_sender,
        smtp_starttls,
        fallback=OutboxMessenger(folder, echo),
    )


MESSENGERS: dict[str, _Factory] = {"outbox": _outbox, "smtp": _smtp}
"""Built-in messengers by name; a plugin adds itself here the same way."""


def make_messenger(
    kind: Literal["outbox", "smtp"],
    *,
    folder: Path,
    echo: bool = False,
    smtp_host: str | None = None,
    smtp_port: int = 587,
    smtp_username: str | None = None,
    smtp_password: SecretStr | None = None,
    smtp_sender: str | None = None,
    smtp_starttls: bool = True,
) -> Messenger:
    """The messenger the settings ask for (SMTP falls back to the outbox for SMS)."""
    factory = MESSENGERS.get(kind)
    if factory is None:
        raise ConfigurationError(f"unknown messenger '{kind}'", code="messenger.unknown")
    return factory(
        folder=folder,
        echo=echo,
        smtp_host=smtp_host,
        smtp_port=smtp_port,
        smtp_username=smtp_username,
        smtp_password=smtp_password,
        smtp_sender=smtp_sender,
        smtp_starttls=smtp_starttls,
    )
