"""What the outbox messenger sent (``privault outbox``): codes and notices, for development."""

from __future__ import annotations

from pathlib import Path

from privault.outbound.messenger import read_outbox


def sent_messages(folder: Path, to: str | None = None) -> list[dict[str, object]]:
    """The messages in the outbox under ``folder``, oldest first; only those to ``to`` if given."""
    return [m for m in read_outbox(folder) if to is None or m.get("to") == to]
