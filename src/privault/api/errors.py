"""The one place errors become HTTP answers: ``application/problem+json`` with a stable ``code``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from privault.errors import ManifestInvalid, PrivaultError, RateLimited, Unauthenticated
from privault.logging import get_logger

PROBLEM = "application/problem+json"
log = get_logger("privault.api")


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    """A problem+json response."""
    body = {
        "type": f"urn:privault:error:{code}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update(code=code, **extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


async def _privault_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PrivaultError)  # noqa: S101 - registered for this type only
    extra: dict[str, Any] = {}
    if isinstance(exc, ManifestInvalid):
        extra["issues"] = [
            {
                "line": i.line,
                "column": i.column,
                "path": i.path,
                "message": i.message,
                "hint": i.hint,
            }
            for i in exc.issues
        ]
    if exc.status >= 500:
        log.error("request_failed", code=exc.code, error=type(exc).__name__)
    response = problem(exc.status, exc.code, exc.title, exc.message, **extra)
    if isinstance(exc, RateLimited):
        response.headers.update(exc.headers)  # 429 with Retry-After
    return response


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this type only
    # Never echo the input back: it may be personal data.
    errors = [
        {
            "loc": [str(p) for p in e.get("loc", ())],
            "msg": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in exc.errors()
    ]
    return problem(422, "input.invalid", "Invalid input", "the request is not valid", errors=errors)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for this type only
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http.error")
    return problem(exc.status_code, code, str(exc.detail), str(exc.detail))


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    # Only the type is logged: messages of driver errors can carry values.
    log.error("unexpected_error", error=type(exc).__name__)
    return problem(500, PrivaultError.code, PrivaultError.title, "an unexpected error occurred")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers."""
    app.add_exception_handler(PrivaultError, _privault_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


__all__ = ["PROBLEM", "Unauthenticated", "install_error_handlers", "problem"]
