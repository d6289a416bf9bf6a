"""A request's package as an HTTP download: one response for the API, the privacy center and the
console (an attachment, never cached, never named in a referrer)."""

from __future__ import annotations

from fastapi.responses import Response

from privault.services.fulfilment import Download


def package_response(found: Download) -> Response:
    """The zip as an attachment under its own file name."""
    return Response(
        found.content,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{found.filename}"',
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )
