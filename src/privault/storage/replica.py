"""Read-only work on a PostgreSQL read replica, while it keeps up with the primary.

A replica applies the primary's changes a little later. Work that only reads and can bear that
(dashboards, the record of processing, retention status, the CCPA request log and metrics) is sent
to it; work that must read its own writes never is. Before the replica is used, privault asks how
far behind it is (at most once every ``CHECK_EVERY`` seconds); past ``max_lag`` seconds, or if it
cannot be reached, those reads go to the primary, read-only all the same, and a warning is logged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from privault.storage.uow import SqlUnitOfWork, UnitOfWorkFactory

log = structlog.get_logger(__name__)
CHECK_EVERY = 5.0

# Seconds behind the primary: none on a primary (not in recovery) or on a replica that has replayed
# all it received; else since the last transaction it replayed.
_LAG = text(
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0 "
    "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9) END"
)


def replica_lag(engine: Engine) -> float:
    """How many seconds the database behind ``engine`` is behind its primary (0 on a primary)."""
    with engine.connect() as connection:
        return float(connection.execute(_LAG).scalar_one())


class ReplicaReads:
    """Makes read-only units of work: on the replica while it is within ``max_lag`` seconds of the
    primary, else on the primary."""

    def __init__(
        self,
        replica: UnitOfWorkFactory,
        primary: UnitOfWorkFactory,
        max_lag: float,
        lag: Callable[[], float],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.replica, self.primary, self.max_lag = replica, primary, max_lag
        self._lag, self._monotonic = lag, monotonic
        self._checked_at: float | None = None
        self._usable = False
        self._lock = threading.Lock()

    def __call__(self) -> SqlUnitOfWork:
        return (self.replica if self.usable() else self.primary)()

    def usable(self) -> bool:
        """Whether the replica is within ``max_lag`` (asked again after ``CHECK_EVERY`` s)."""
        now = self._monotonic()
        with self._lock:
            if self._checked_at is None or now - self._checked_at >= CHECK_EVERY:
                self._usable, self._checked_at = self._check(), now
            return self._usable

    def _check(self) -> bool:
        try:
            lag = self._lag()
        except SQLAlchemyError as exc:
            log.warning(
                "read replica unreachable: reading from the primary", error=type(exc).__name__
            )
            return False
        if lag > self.max_lag:
            log.warning("read replica behind: reading from the primary", lag_s=round(lag, 1))
            return False
        return True
