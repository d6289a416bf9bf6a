"""The file witness: one JSON file per tenant in a folder outside the database.

By default the folder is next to the keyring (``<keyring_dir>/witness``); set ``audit_witness_dir``
to a different disk, a write-once mount or a folder another machine copies, so that one stolen
database password is not enough to rewrite history. Files are written atomically, mode 600, under
an OS lock (several processes publish), as key files are (``crypto/keyfile.py``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from privault.core.records import CheckpointRecord
from privault.crypto.keyfile import folder_lock, write_private
from privault.errors import ConfigurationError


class FileWitness:
    """``<folder>/<tenant>.json``: {"checkpoint": {...}, "verified": {"seq", "hash"}}."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __repr__(self) -> str:
        return f"FileWitness({str(self.folder)!r})"

    def _path(self, tenant: str) -> Path:
        return self.folder / f"{tenant}.json"

    def _read(self, tenant: str) -> dict[str, Any]:
        path = self._path(tenant)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigurationError(
                f"the audit witness file {path} of tenant '{tenant}' is unreadable ({exc})",
                code="audit.witness_unreadable",
            ) from exc
        if not isinstance(data, dict) or data.get("tenant") != tenant:
            raise ConfigurationError(
                f"the audit witness file {path} is not tenant '{tenant}'s",
                code="audit.witness_unreadable",
            )
        return data

    def latest(self, tenant: str) -> CheckpointRecord | None:
        """The checkpoint kept, if any."""
        point = self._read(tenant).get("checkpoint")
        if point is None:
            return None
        return CheckpointRecord(
            int(point["seq"]),
            str(point["hash"]),
            str(point["signature"]),
            datetime.fromisoformat(point["created_at"]),
        )

    def publish(self, tenant: str, point: CheckpointRecord) -> None:
        """Keep ``point`` unless a later one is kept already."""
        with folder_lock(self.folder):
            data = self._read(tenant) or {"tenant": tenant}
            kept = data.get("checkpoint")
            if kept is not None and int(kept["seq"]) >= point.seq:
                return
            data["checkpoint"] = {
                "seq": point.seq,
                "hash": point.hash,
                "signature": point.signature,
                "created_at": point.created_at.isoformat(),
            }
            write_private(self._path(tenant), data)

    def verified(self, tenant: str) -> tuple[int, str] | None:
        """Where the last clean verification ended."""
        mark = self._read(tenant).get("verified")
        return None if mark is None else (int(mark["seq"]), str(mark["hash"]))

    def mark_verified(self, tenant: str, seq: int, hash_: str) -> None:
        """Remember a clean verification up to ``seq``."""
        with folder_lock(self.folder):
            data = self._read(tenant) or {"tenant": tenant}
            data["verified"] = {"seq": seq, "hash": hash_}
            write_private(self._path(tenant), data)

    def set_aside(self, tenant: str, at: datetime) -> str | None:
        """Rename the tenant's file to ``<tenant>.json.set-aside-<UTC time>`` (kept, never
        deleted); the next checkpoint starts a new one."""
        with folder_lock(self.folder):
            path = self._path(tenant)
            if not path.exists():
                return None
            kept = path.with_name(f"{path.name}.set-aside-{at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}")
            path.rename(kept)
            return str(kept)
