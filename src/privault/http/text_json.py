"""Bodies a browser posts as ``text/plain`` to avoid a CORS preflight (the cross-origin banner,
``navigator.sendBeacon``): read them as the JSON they are."""

from __future__ import annotations

import json
from typing import Any


def json_from_text(data: Any) -> Any:
    """A body that arrived as text or bytes, parsed as JSON (a pydantic "before" validator's
    input); anything else unchanged."""
    if isinstance(data, bytes | str):
        try:
            return json.loads(data)
        except ValueError:
            raise ValueError("the body is not JSON") from None
    return data
