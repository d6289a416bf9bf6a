"""The file witness keeps each tenant's latest audit checkpoint outside the database: it never goes
back, its files are private, and a damaged or foreign file is refused by name."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from privault.core.records import CheckpointRecord
from privault.crypto.witness import FileWitness
from privault.errors import ConfigurationError

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _point(seq: int) -> CheckpointRecord:
    return CheckpointRecord(seq, f"{seq:064x}", "ab" * 64, AT)


def test_a_witness_keeps_the_latest_checkpoint_and_never_goes_back(tmp_path: Path) -> None:
    """A later checkpoint replaces the one kept; an earlier one (a restored database's, or a
    process that signed before another) does not."""
    witness = FileWitness(tmp_path / "witness")
    assert witness.latest("bluewave") is None
    witness.publish("bluewave", _point(10))
    witness.publish("bluewave", _point(7))
    assert witness.latest("bluewave") == _point(10)
    witness.publish("bluewave", _point(12))
    assert witness.latest("bluewave") == _point(12)
    assert FileWitness(tmp_path / "witness").latest("bluewave") == _point(12)  # another process


def test_the_verified_mark_sits_beside_the_checkpoint(tmp_path: Path) -> None:
    """Marking a verification keeps the checkpoint, and the other way round."""
    witness = FileWitness(tmp_path)
    witness.publish("bluewave", _point(3))
    witness.mark_verified("bluewave", 3, "cd" * 32)
    assert witness.verified("bluewave") == (3, "cd" * 32)
    assert witness.latest("bluewave") == _point(3)
    assert witness.verified("northwind") is None


def test_witness_files_are_private(tmp_path: Path) -> None:
    """Mode 600, like key files."""
    witness = FileWitness(tmp_path)
    witness.publish("bluewave", _point(1))
    mode = stat.S_IMODE((tmp_path / "bluewave.json").stat().st_mode)
    assert mode == 0o600


@pytest.mark.parametrize(
    "text", ['{"tenant": "bluewave", "checkpoint": {"seq": 1', '{"tenant": "northwind"}', "[]"]
)
def test_a_damaged_or_foreign_witness_file_is_refused_by_name(tmp_path: Path, text: str) -> None:
    """Truncated, another tenant's, or not an object: audit.witness_unreadable naming the file."""
    (tmp_path / "bluewave.json").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError) as raised:
        FileWitness(tmp_path).latest("bluewave")
    assert raised.value.code == "audit.witness_unreadable"
    assert "bluewave.json" in raised.value.message
