"""Messengers: the outbox file and SMTP (against a real, tiny SMTP server on 127.0.0.1)."""

from __future__ import annotations

import socket
import socketserver
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import SecretStr

from privault.errors import ConfigurationError, ConnectorError, InvalidInput
from privault.outbound.messenger import (
    Message,
    OutboxMessenger,
    SmtpMessenger,
    make_messenger,
    read_outbox,
)

CODE = "482913"


def _message(channel: str = "email", to: str = "ana@example.com") -> Message:
    return Message(
        channel=channel,  # type: ignore[arg-type]
        to=to,
        subject="Your verification code",
        body=f"Your code is {CODE}. It expires in 10 minutes.",
        tenant="bluewave",
        kind="verification_code",
    )


# --- the outbox ----------------------------------------------------------------------------------


def test_the_outbox_appends_one_json_line_per_message_owner_only(tmp_path: Path) -> None:
    """Folder 0700, file 0600; each message with an id and a time."""
    folder = tmp_path / "outbox"
    messenger = OutboxMessenger(folder)
    messenger.send(_message())
    messenger.send(_message("sms", "+447700900123"))
    records = read_outbox(folder)
    assert [r["channel"] for r in records] == ["email", "sms"]
    assert records[0]["to"] == "ana@example.com"
    assert records[0]["body"].startswith("Your code is 482913")
    assert records[0]["kind"] == "verification_code"
    assert records[0]["id"] != records[1]["id"]
    assert records[0]["at"].endswith("+00:00")
    assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE((folder / "outbox.jsonl").stat().st_mode) == 0o600


def test_echo_prints_a_summary_without_the_body_or_recipient(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Codes must not end up in logs."""
    OutboxMessenger(tmp_path, echo=True).send(_message())
    captured = capsys.readouterr()
    assert "verification_code" in captured.err
    assert "bluewave" in captured.err
    assert CODE not in captured.err
    assert "ana@example.com" not in captured.err
    assert captured.out == ""


def test_concurrent_senders_never_interleave_lines(tmp_path: Path) -> None:
    """Many threads (each its own messenger, as separate processes would be) lose nothing."""

    def send_many(n: int) -> None:
        messenger = OutboxMessenger(tmp_path)
        for _ in range(50):
            messenger.send(_message(to=f"user{n}@example.com"))

    threads = [threading.Thread(target=send_many, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = read_outbox(tmp_path)
    assert len(records) == 400
    assert len({r["id"] for r in records}) == 400


def test_reading_an_outbox_that_does_not_exist_gives_nothing(tmp_path: Path) -> None:
    """No file, no messages."""
    assert read_outbox(tmp_path / "missing") == []


def test_a_line_still_being_written_is_left_for_the_next_read(tmp_path: Path) -> None:
    """A partial last line is not parsed."""
    OutboxMessenger(tmp_path).send(_message())
    with (tmp_path / "outbox.jsonl").open("a") as outbox:
        outbox.write('{"id": "half')
    assert len(read_outbox(tmp_path)) == 1


def test_a_message_repr_hides_the_recipient_and_body() -> None:
    """repr() is safe to log."""
    text = repr(_message())
    assert CODE not in text
    assert "ana@example.com" not in text


# --- SMTP ----------------------------------------------------------------------------------------


@dataclass
class _Mailbox:
    """What the stub SMTP server received."""

    envelopes: list[tuple[str, list[str], str]] = field(default_factory=list)
    refuse: str = ""  # a recipient to refuse with 550


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    server: _SmtpServer

    def handle(self) -> None:
        self._reply("220 stub ESMTP ready")
        sender, recipients = "", list[str]()
        while line := self.rfile.readline().decode().rstrip("\r\n"):
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._reply("250-stub\r\n250 8BITMIME")
            elif verb == "MAIL":
                sender, recipients = line.split(":", 1)[1].strip().strip("<>"), []
                self._reply("250 OK")
            elif verb == "RCPT":
                address = line.split(":", 1)[1].strip().strip("<>")
                if address == self.server.mailbox.refuse:
                    self._reply(f"550 no such user <{address}>")
                else:
                    recipients.append(address)
                    self._reply("250 OK")
            elif verb == "DATA":
                self._reply("354 end with <CRLF>.<CRLF>")
                self.server.mailbox.envelopes.append((sender, recipients, self._data()))
                self._reply("250 OK queued")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("250 OK" if verb in ("RSET", "NOOP") else "502 not implemented")

    def _data(self) -> str:
        lines = []
        while (line := self.rfile.readline().decode()) not in (".\r\n", ""):
            lines.append(line[1:] if line.startswith("..") else line)
        return "".join(lines)

    def _reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.mailbox = _Mailbox()


@pytest.fixture
def smtp_server() -> Iterator[_SmtpServer]:
    """A stub SMTP server on a free local port, in a thread."""
    server = _SmtpServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


class _Recorder:
    """A fake fallback messenger."""

    def __init__(self) -> None:
        self.sent: list[Message] = []

    def send(self, message: Message) -> None:
        self.sent.append(message)


def _smtp(server: _SmtpServer, fallback: _Recorder | None = None, **kw: object) -> SmtpMessenger:
    port = server.server_address[1]
    options: dict[str, object] = {"username": None, "password": None, "starttls": False} | kw
    return SmtpMessenger(
        "127.0.0.1",
        port,
        sender="privacy@bluewave.example",
        fallback=fallback or _Recorder(),
        timeout=5,
        **options,  # type: ignore[arg-type]
    )


def test_smtp_delivers_the_email_to_the_recipient(smtp_server: _SmtpServer) -> None:
    """The server gets one message, for the right address, with the body and subject."""
    _smtp(smtp_server).send(_message())
    [(sender, recipients, data)] = smtp_server.mailbox.envelopes
    assert sender == "privacy@bluewave.example"
    assert recipients == ["ana@example.com"]
    assert "To: ana@example.com" in data
    assert "Subject: Your verification code" in data
    assert f"Your code is {CODE}." in data
    assert "Message-ID: <" in data


def test_smtp_hands_sms_to_the_fallback(smtp_server: _SmtpServer) -> None:
    """There is no SMS gateway built in: SMS goes to the fallback, not to SMTP."""
    fallback = _Recorder()
    _smtp(smtp_server, fallback).send(_message("sms", "+447700900123"))
    assert [m.to for m in fallback.sent] == ["+447700900123"]
    assert smtp_server.mailbox.envelopes == []


def test_a_refused_recipient_fails_without_naming_the_address(smtp_server: _SmtpServer) -> None:
    """messenger.failed, and the message does not carry the address."""
    smtp_server.mailbox.refuse = "ana@example.com"
    with pytest.raises(ConnectorError) as caught:
        _smtp(smtp_server).send(_message())
    assert caught.value.code == "messenger.failed"
    assert "ana@example.com" not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_starttls_that_the_server_does_not_offer_fails(smtp_server: _SmtpServer) -> None:
    """No silent downgrade: asking for STARTTLS on a server without it is a failure."""
    with pytest.raises(ConnectorError) as caught:
        _smtp(smtp_server, starttls=True).send(_message())
    assert caught.value.code == "messenger.failed"
    assert smtp_server.mailbox.envelopes == []


def test_an_unreachable_server_fails() -> None:
    """Connection refused is a ConnectorError."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    messenger = SmtpMessenger(
        "127.0.0.1", port, None, None, "p@x.example", False, timeout=2, fallback=_Recorder()
    )
    with pytest.raises(ConnectorError) as caught:
        messenger.send(_message())
    assert caught.value.code == "messenger.failed"


def test_header_injection_is_refused(smtp_server: _SmtpServer) -> None:
    """A recipient or subject with a line break never reaches the server."""
    bad = Message("email", "ana@example.com\r\nBcc: x@evil.example", "s", "b", "t", "k")
    with pytest.raises(InvalidInput) as caught:
        _smtp(smtp_server).send(bad)
    assert caught.value.code == "messenger.invalid_message"
    assert smtp_server.mailbox.envelopes == []


def test_the_password_never_shows_in_repr(smtp_server: _SmtpServer) -> None:
    """repr() names the server, not the credentials."""
    messenger = _smtp(smtp_server, username="u", password=SecretStr("hunter2"))
    assert "hunter2" not in repr(messenger)


# --- choosing one --------------------------------------------------------------------------------


def test_make_messenger_builds_the_outbox(tmp_path: Path) -> None:
    """'outbox' writes to the folder."""
    messenger = make_messenger("outbox", folder=tmp_path)
    messenger.send(_message())
    assert len(read_outbox(tmp_path)) == 1


def test_make_messenger_builds_smtp_with_the_outbox_for_sms(
    tmp_path: Path, smtp_server: _SmtpServer
) -> None:
    """'smtp' sends e-mail and puts SMS in the outbox."""
    messenger = make_messenger(
        "smtp",
        folder=tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.server_address[1],
        smtp_sender="privacy@bluewave.example",
        smtp_starttls=False,
    )
    messenger.send(_message())
    messenger.send(_message("sms", "+447700900123"))
    assert len(smtp_server.mailbox.envelopes) == 1
    assert [r["channel"] for r in read_outbox(tmp_path)] == ["sms"]


def test_make_messenger_needs_a_host_and_sender_for_smtp(tmp_path: Path) -> None:
    """messenger.unconfigured."""
    with pytest.raises(ConfigurationError) as caught:
        make_messenger("smtp", folder=tmp_path, smtp_host="mail.example")
    assert caught.value.code == "messenger.unconfigured"


def test_make_messenger_refuses_an_unknown_kind(tmp_path: Path) -> None:
    """messenger.unknown."""
    with pytest.raises(ConfigurationError) as caught:
        make_messenger("pigeon", folder=tmp_path)  # type: ignore[arg-type]
    assert caught.value.code == "messenger.unknown"
