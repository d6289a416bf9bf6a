"""Property tests of the single-value size limit (core/sizes.py) and of the body limit's middleware
(http/body_limits.py) on bodies sent in any number of chunks."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privault.api.errors import problem
from privault.core.import_lines import BadLine
from privault.core.sizes import refuse_long_values, sized_lines, too_long
from privault.errors import InvalidInput
from privault.http.body_limits import BodyLimits

LIMIT = 8
_keys = st.text(max_size=12).filter(lambda k: k != "dataset")  # a top-level dataset is a document
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=20,
)


def _longest(value: Any) -> int:
    """The longest text or key anywhere in ``value`` (the reference the walk is checked against)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return max([0, *(max(len(k), _longest(v)) for k, v in value.items())])
    if isinstance(value, list):
        return max([0, *(_longest(v) for v in value)])
    return 0


@given(_json)
def test_a_value_is_refused_exactly_when_some_text_or_key_is_too_long(data: Any) -> None:
    """too_long finds a path if and only if some text or key is longer than the limit."""
    assert (too_long(data, LIMIT) is not None) == (_longest(data) > LIMIT)


@given(st.integers(min_value=1, max_value=400))
def test_any_depth_is_walked_without_recursion(depth: int) -> None:
    """A deeply nested body is walked to the bottom (no RecursionError), and the path is named."""
    data: Any = "z" * (LIMIT + 1)
    for _ in range(depth * 10):
        data = {"a": [data]}
    with pytest.raises(InvalidInput, match="is longer than") as refused:
        refuse_long_values(data, LIMIT)
    assert refused.value.code == "value.too_long"
    assert "z" * (LIMIT + 1) not in refused.value.message


def test_a_datastores_dataset_is_bounded_by_the_body_only() -> None:
    """A top-level ``dataset`` is a whole document; the same name deeper down is a value."""
    assert too_long({"dataset": "d" * 100}, LIMIT) is None
    assert too_long({"x": {"dataset": "d" * 100}}, LIMIT) == "x.dataset"


@given(st.lists(_json, max_size=10))
def test_an_import_refuses_exactly_the_lines_with_a_long_value(values: list[Any]) -> None:
    """Each line with a too-long text becomes a BadLine naming the field, by its number; the other
    lines are handed on unchanged."""
    lines = [*enumerate(values, start=1), (99, BadLine("not valid JSON"))]
    out = list(sized_lines(lines, LIMIT))
    assert [n for n, _ in out] == [n for n, _ in lines]
    for (_, value), (_, seen) in zip(lines[:-1], out[:-1], strict=True):
        if _longest(value) > LIMIT:
            assert isinstance(seen, BadLine)
            assert "is longer than 8 characters" in seen.reason
        else:
            assert seen is value
    assert out[-1] == lines[-1]


def _limits(max_body_bytes: int, max_value_chars: int) -> BodyLimits:
    """The middleware answering problem+json (the app is set by ``_run``)."""

    def answer(_scope: Any, exc: Any, status: int) -> Any:
        return problem(status, exc.code, exc.title, exc.message)

    return BodyLimits(lambda *_: None, max_body_bytes, max_value_chars, answer)  # type: ignore[arg-type]


def _run(
    middleware: BodyLimits, chunks: list[bytes], headers: list[tuple[bytes, bytes]]
) -> dict[str, Any]:
    """Send ``chunks`` through the middleware; what the app saw and what was answered."""
    seen: dict[str, Any] = {"reads": 0, "app_body": None, "status": None}

    async def receive() -> dict[str, Any]:
        index = seen["reads"]
        seen["reads"] += 1
        return {"type": "http.request", "body": chunks[index], "more_body": index < len(chunks) - 1}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            seen["status"] = message["status"]

    async def app(scope: Any, app_receive: Any, app_send: Any) -> None:
        seen["app_body"] = (await app_receive())["body"]
        await app_send({"type": "http.response.start", "status": 200, "headers": []})
        await app_send({"type": "http.response.body", "body": b""})

    middleware.app = app
    scope = {"type": "http", "method": "POST", "path": "/v1/x", "headers": headers}
    # a thread of its own: a browser test earlier in this worker may leave its event loop running
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, middleware(scope, receive, send)).result()
    return seen


@given(st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=30))
def test_chunks_are_counted_without_a_content_length(chunks: list[bytes]) -> None:
    """Over the limit in chunks: 413 and the app never runs, reading stops at the chunk that
    crossed it; within it: the app gets the body whole and unchanged."""
    limit = 200
    seen = _run(_limits(limit, 100), chunks, [])
    total = sum(len(c) for c in chunks)
    if total > limit:
        assert seen["status"] == 413
        assert seen["app_body"] is None
        crossing = next(i for i in range(len(chunks)) if sum(map(len, chunks[: i + 1])) > limit)
        assert seen["reads"] == crossing + 1
    else:
        assert seen["status"] == 200
        assert seen["app_body"] == b"".join(chunks)


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    """Content-Length says too much: 413 and not one chunk read."""
    headers = [(b"content-length", b"5000")]
    seen = _run(_limits(1024, 100), [b"{}"], headers)
    assert seen == {"reads": 0, "app_body": None, "status": 413}


def test_a_long_value_in_json_sent_as_text_is_refused() -> None:
    """The banner's text/plain JSON is checked like JSON."""
    body = json.dumps({"shown": "s" * 101}).encode()
    headers = [(b"content-type", b"text/plain;charset=UTF-8")]
    seen = _run(_limits(1024, 100), [body], headers)
    assert seen["status"] == 422
    assert seen["app_body"] is None
