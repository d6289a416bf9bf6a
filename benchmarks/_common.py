"""Shared set-up for benchmarks: a throw-away deployment on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import create_engine, text

from privault.bootstrap import Container
from privault.config import Settings
from privault.core.access import Principal
from privault.core.clock import Clock
from privault.services.api_keys import create_api_key
from privault.services.setup import apply_manifest, template_text
from privault.services.tenants import bind_tenant
from privault.storage import migrate

POSTGRES = os.environ.get(
    "PRIVAULT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def deployment(
    engine: str, manifest: str | None = None, clock: Clock | None = None
) -> Iterator[Container]:
    """A migrated deployment with the contact-centre manifest (or ``manifest``) applied; removed
    afterwards."""
    folder = Path(
        tempfile.mkdtemp(prefix="privault-bench-", dir=os.environ.get("PRIVAULT_BENCH_DIR"))
    )
    text_ = manifest if manifest is not None else template_text("contact-centre")
    (folder / "privault.yaml").write_text(text_, encoding="utf-8")
    schema = None
    if engine == "sqlite":
        url = f"sqlite:///{folder / 'privault.db'}"
    else:
        schema = f"pv_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(POSTGRES)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    # the generic request flow: one-time codes (the CCPA §7062 levels are measured by no benchmark)
    settings = Settings(data_dir=folder, database_url=url, ccpa_verification_levels=False)
    container = Container(settings) if clock is None else Container(settings, clock=clock)
    try:
        migrate.upgrade(container.engine)
        apply_manifest(container.deps)
        yield container
    finally:
        container.close()
        if schema:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def officer(container: Container, tenant: str = "bluewave") -> Principal:
    """The tenant's privacy officer."""
    with container.uow() as uow:
        tenant_id = bind_tenant(uow, tenant).id
    return Principal(tenant_id, tenant, "privacy-officer", "api_key", "bench")


def subject_record(i: int) -> dict[str, object]:
    """A billing subject with two identities and five fields."""
    return {
        "subject": f"cust-{i}",
        "identities": {
            "email": f"user{i}@example.com",
            "phone": f"+1415{5_000_000 + i % 4_000_000:07d}",
        },
        "data": {
            "user.name": f"Customer {i}",
            "user.contact.address": f"{i} Harbour Street, Springfield",
            "cc.account.number": f"ACC-{i:08d}",
            "cc.payment.card": f"4111 1111 {i % 10_000:04d} 1111",
            "cc.payment.bank_account": f"GB29NWBK6016{i:010d}",
        },
        "source": "direct",
        "purpose": "billing",
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start")


@contextmanager
def served(
    container: Container, tenant: str = "bluewave", pids: list[int] | None = None
) -> Iterator[tuple[str, dict[str, str]]]:
    """`privault serve` on a free port of 127.0.0.1 over the deployment's database, and a privacy
    officer's API key: (base URL, authorization headers). The server stops on exit; its process id
    is added to ``pids`` (to read its CPU time)."""
    deps = container.deps
    token = create_api_key(deps, tenant, "privacy-officer", name="bench").token.reveal()
    port = _free_port()
    env = {
        **os.environ,
        "PRIVAULT_DATA_DIR": str(container.settings.data_dir),
        "PRIVAULT_DATABASE_URL": container.settings.sqlalchemy_url,
        "PRIVAULT_LOG_LEVEL": "warning",
        "PRIVAULT_CCPA_VERIFICATION_LEVELS": "false",
    }
    process = subprocess.Popen(  # noqa: S603 - our own server
        [sys.executable, "-m", "privault", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    if pids is not None:
        pids.append(process.pid)
    try:
        _wait_ready(base)
        yield base, {"Authorization": f"Bearer {token}"}
    finally:
        process.terminate()
        process.wait(timeout=30)


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds the processes have used so far (Linux ``/proc``)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick
