"""How many worker processes an import uses when none is asked for."""

from __future__ import annotations

from privault.services.vault_import import WORKERS_FROM, default_workers


def test_an_import_above_5000_lines_encrypts_in_one_worker_by_default() -> None:
    """5,000 lines stay in this process; one more starts a worker."""
    assert WORKERS_FROM == 5_000
    assert default_workers(WORKERS_FROM) == 0
    assert default_workers(WORKERS_FROM + 1) == 1
    assert default_workers(0) == 0
