"""Standard Webhooks signing, verification and delivery (to a real local HTTP server)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from privault.errors import InvalidInput, Unauthenticated
from privault.outbound.webhooks import deliver, headers, new_secret, sign, verify

# The Standard Webhooks specification's published test vector.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _vector_headers(signature: str = VECTOR_SIGNATURE) -> dict[str, str]:
    return {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TIMESTAMP),
        "webhook-signature": signature,
    }


def test_signing_reproduces_the_published_test_vector() -> None:
    """Any Standard Webhooks library can check what we send."""
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE


def test_signing_matches_an_independent_hmac() -> None:
    """HMAC-SHA256 over id.timestamp.body with the base64-decoded key."""
    secret = new_secret()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = hmac.new(key, b"msg_1.1700000000.{}", hashlib.sha256).digest()
    assert sign(secret, "msg_1", 1700000000, b"{}") == "v1," + base64.b64encode(expected).decode()


def test_new_secrets_are_prefixed_random_and_long_enough() -> None:
    """whsec_ + base64 of at least 24 random bytes."""
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_")
    assert first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) >= 24


def test_headers_carry_id_timestamp_signature_and_json() -> None:
    """Every header a delivery needs."""
    sent = headers(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY)
    assert sent == {"content-type": "application/json", **_vector_headers()}


def test_verify_accepts_the_vector_with_any_header_case() -> None:
    """Header names are case-insensitive."""
    upper = {k.upper(): v for k, v in _vector_headers().items()}
    verify(VECTOR_SECRET, upper, VECTOR_BODY, now=VECTOR_TIMESTAMP + 10)


def test_verify_accepts_one_good_signature_among_several() -> None:
    """During a secret rotation several signatures are sent, space-separated."""
    other = sign(new_secret(), VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY)
    offered = f"v1a,c29tZXRoaW5n {other} {VECTOR_SIGNATURE}"
    verify(VECTOR_SECRET, _vector_headers(offered), VECTOR_BODY, now=VECTOR_TIMESTAMP)


@pytest.mark.parametrize(
    ("secret", "changes", "body", "now"),
    [
        (VECTOR_SECRET, {}, b'{"test": 2432232315}', VECTOR_TIMESTAMP),  # body altered
        (new_secret(), {}, VECTOR_BODY, VECTOR_TIMESTAMP),  # another secret
        (VECTOR_SECRET, {"webhook-id": "msg_other"}, VECTOR_BODY, VECTOR_TIMESTAMP),
        (VECTOR_SECRET, {}, VECTOR_BODY, VECTOR_TIMESTAMP + 301),  # too old
        (VECTOR_SECRET, {}, VECTOR_BODY, VECTOR_TIMESTAMP - 301),  # from the future
        (VECTOR_SECRET, {"webhook-timestamp": "soon"}, VECTOR_BODY, VECTOR_TIMESTAMP),
        (VECTOR_SECRET, {"webhook-signature": ""}, VECTOR_BODY, VECTOR_TIMESTAMP),
        (VECTOR_SECRET, {"webhook-signature": "v1a,x v2,y"}, VECTOR_BODY, VECTOR_TIMESTAMP),
    ],
    ids=["body", "secret", "id", "old", "future", "timestamp", "empty", "versions"],
)
def test_verify_refuses_anything_else(
    secret: str, changes: dict[str, str], body: bytes, now: int
) -> None:
    """Tampered, mis-keyed, stale, future or malformed deliveries: webhook.signature_invalid."""
    with pytest.raises(Unauthenticated) as caught:
        verify(secret, _vector_headers() | changes, body, now=now)
    assert caught.value.code == "webhook.signature_invalid"


def test_verify_refuses_missing_headers() -> None:
    """No headers, no delivery."""
    with pytest.raises(Unauthenticated):
        verify(VECTOR_SECRET, {}, VECTOR_BODY, now=VECTOR_TIMESTAMP)


def test_a_secret_that_is_not_base64_is_invalid_input() -> None:
    """webhook.invalid_secret."""
    with pytest.raises(InvalidInput) as caught:
        sign("whsec_not base64!", "msg_1", 1, b"")
    assert caught.value.code == "webhook.invalid_secret"


# --- delivery to a real local server -------------------------------------------------------------

SECRET = new_secret()


class _Receiver(BaseHTTPRequestHandler):
    """Checks every delivery with verify() and answers as the path says."""

    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            verify(
                SECRET, dict(self.headers.items()), body, now=int(self.headers["webhook-timestamp"])
            )
        except Unauthenticated:
            self.server.verified.append(False)
            self._answer(401)
            return
        self.server.verified.append(True)
        self.server.bodies.append(body)
        if self.path == "/fail":
            self._answer(500)
        elif self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._answer(204)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        """Quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Receiver)
        self.verified: list[bool] = []
        self.bodies: list[bytes] = []

    def url(self, path: str) -> str:
        """This server's URL for ``path``."""
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@pytest.fixture
def receiver() -> Iterator[_Server]:
    """A local HTTP server in a thread."""
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_delivery_arrives_signed_and_verifiable(receiver: _Server) -> None:
    """The receiver's verify() accepts it; 2xx is ok."""
    result = deliver(receiver.url("/hook"), SECRET, "msg_1", 1_700_000_000, b'{"event":"x"}')
    assert (result.ok, result.status, result.error) == (True, 204, None)
    assert receiver.verified == [True]
    assert receiver.bodies == [b'{"event":"x"}']


def test_a_delivery_with_the_wrong_secret_is_refused_by_the_receiver(receiver: _Server) -> None:
    """401 comes back as a failure, not an exception."""
    result = deliver(receiver.url("/hook"), new_secret(), "msg_1", 1_700_000_000, b"{}")
    assert (result.ok, result.status, result.error) == (False, 401, "http 401")
    assert receiver.verified == [False]


def test_a_server_error_is_reported(receiver: _Server) -> None:
    """http 500."""
    result = deliver(receiver.url("/fail"), SECRET, "msg_1", 1_700_000_000, b"{}")
    assert (result.ok, result.status, result.error) == (False, 500, "http 500")


def test_redirects_are_not_followed(receiver: _Server) -> None:
    """A 302 is a failed delivery; the body is not posted anywhere else."""
    result = deliver(receiver.url("/moved"), SECRET, "msg_1", 1_700_000_000, b"{}")
    assert (result.ok, result.status, result.error) == (False, 302, "http 302")
    assert len(receiver.bodies) == 1


def test_a_closed_port_is_connection_refused() -> None:
    """No exception; the kind of failure is returned."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = deliver(f"http://127.0.0.1:{port}/", SECRET, "msg_1", 1, b"{}")
    assert (result.ok, result.status, result.error) == (False, None, "connection refused")


def test_a_silent_server_is_a_timeout() -> None:
    """A listener that never answers."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        result = deliver(url, SECRET, "msg_1", 1, b"{}", timeout=0.2)
    assert (result.ok, result.status, result.error) == (False, None, "timeout")


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "file:///etc/passwd", "http://", "example.com/hook", "http://h:x/"],
)
def test_only_http_and_https_urls_are_accepted(url: str) -> None:
    """webhook.invalid_url, before anything is sent."""
    with pytest.raises(InvalidInput) as caught:
        deliver(url, SECRET, "msg_1", 1, b"{}")
    assert caught.value.code == "webhook.invalid_url"
