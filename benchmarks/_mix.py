"""The mixed API workload of the scale benchmark (issue #17): two tenants, seven endpoints, bounded
client threads; latencies per endpoint and the servers' CPU per request."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import httpx2 as httpx

from _common import cpu_seconds, served, subject_record
from privault.bootstrap import Container
from privault.core.access import Principal
from privault.services.api_keys import create_api_key
from privault.services.tenants import bind_tenant
from privault.services.vault_import import import_subjects

TENANTS = ("bluewave", "northwind")
OFFICER = "privacy-officer"
# (endpoint, share of the requests)
MIX = (
    ("lookup", 0.20),
    ("read", 0.20),
    ("consent", 0.20),
    ("decisions10", 0.15),
    ("decision1", 0.10),
    ("create", 0.10),
    ("intake", 0.05),
)
SCOPES = {"bluewave": "bluewave-mobile", "northwind": "northwind"}
_CREATED = itertools.count(10_000_000)  # new subjects' numbers, never reused in a process


def populate(container: Container, subjects: int) -> None:
    """``subjects`` billing subjects in each tenant."""
    for tenant in TENANTS:
        with container.uow() as uow:
            tenant_id = bind_tenant(uow, tenant).id
        who = Principal(tenant_id, tenant, OFFICER, "api_key", "bench")
        lines = ((i, subject_record(i)) for i in range(subjects))
        report = import_subjects(container.deps, who, lines, batch_size=2000, workers=1)
        assert report.imported == subjects, report.errors[:3]


@dataclass
class Run:
    """What one run of the mix measured."""

    requests: int
    seconds: float
    cpu_seconds: float
    latencies: dict[str, list[float]] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_seconds * 1000 / self.requests

    def percentile(self, q: float, endpoint: str | None = None) -> float:
        """The ``q`` quantile (0..1) in ms, of one endpoint or of all."""
        values = sorted(
            self.latencies[endpoint]
            if endpoint
            else [x for xs in self.latencies.values() for x in xs]
        )
        return values[max(0, int(len(values) * q) - 1)] * 1000 if values else 0.0


def _request(
    http: httpx.Client, tenant: str, endpoint: str, subjects: int, rng: random.Random, n: int
) -> httpx.Response:
    i = rng.randrange(subjects)
    if endpoint == "lookup":
        body = {"kind": "email", "values": [f"user{i}@example.com"], "purpose": "billing"}
        return http.post("/v1/subjects/lookup", json=body)
    if endpoint == "read":
        return http.get(f"/v1/subjects/cust-{i}", params={"purpose": "billing"})
    if endpoint == "consent":
        choice = {"kind": "marketing", "scope": f"{SCOPES[tenant]}:sms", "granted": n % 2 == 0}
        body = {"subject": f"cust-{i}", "choices": [choice], "method": "ivr", "channel": "ivr"}
        body |= {"call_id": f"call-{n}", "shown": "IVR menu v4: press 1 for offers by text"}
        return http.post("/v1/consent", json=body)
    if endpoint in ("decisions10", "decision1"):
        asks = [
            {
                "subject": f"cust-{rng.randrange(subjects)}",
                "purpose": "marketing-sms",
                "categories": [],
                "brand": SCOPES[tenant],
            }
            for _ in range(10 if endpoint == "decisions10" else 1)
        ]
        return http.post("/v1/decisions", json={"questions": asks})
    if endpoint == "create":
        record = subject_record(next(_CREATED))
        return http.post("/v1/subjects", json=record)
    body = {
        "type": "access",
        "identities": {"email": [f"user{i}@example.com"]},
        "jurisdiction": "uk",
    }
    return http.post("/v1/requests", json=body)


def _client(
    servers: list[tuple[str, dict[str, dict[str, str]]]],
    count: int,
    subjects: int,
    seed: int,
) -> dict[str, list[float]]:
    """``count`` requests of the mix from one thread, over the servers and the tenants."""
    rng = random.Random(seed)
    clients = [httpx.Client(base_url=base, timeout=60) for base, _ in servers]
    endpoints = [e for e, _ in MIX]
    weights = [w for _, w in MIX]
    latencies: dict[str, list[float]] = {e: [] for e in endpoints}
    try:
        for n in range(count):
            k = n % len(servers)
            tenant = TENANTS[rng.randrange(len(TENANTS))]
            endpoint = rng.choices(endpoints, weights)[0]
            clients[k].headers.update(servers[k][1][tenant])
            started = time.perf_counter()
            response = _request(clients[k], tenant, endpoint, subjects, rng, n)
            if response.status_code >= 400:
                raise RuntimeError(f"{endpoint}: {response.status_code} {response.text[:300]}")
            latencies[endpoint].append(time.perf_counter() - started)
    finally:
        for http in clients:
            http.close()
    return latencies


@contextmanager
def servers(
    container: Container, processes: int, pids: list[int]
) -> Iterator[list[tuple[str, dict[str, dict[str, str]]]]]:
    """``processes`` `privault serve` processes, each with a key of each tenant."""
    with ExitStack() as stack:
        found = []
        for _ in range(processes):
            base, headers = stack.enter_context(served(container, TENANTS[0], pids))
            keys = {TENANTS[0]: headers}
            for tenant in TENANTS[1:]:
                token = create_api_key(container.deps, tenant, OFFICER, name="bench").token
                keys[tenant] = {"Authorization": f"Bearer {token.reveal()}"}
            found.append((base, keys))
        yield found


def run(
    container: Container,
    processes: int,
    *,
    requests: int,
    clients: int,
    subjects: int,
    during: Callable[[], object] | None = None,
) -> Run:
    """The mix against ``processes`` servers (warmed up first); ``during`` runs in a thread of its
    own while the clients do (the worker's sweep, say)."""
    pids: list[int] = []
    with servers(container, processes, pids) as found:
        _client(found, 20 * processes, subjects, seed=0)  # warm every server
        per_client = requests // clients
        cpu = cpu_seconds(pids)
        started = time.perf_counter()
        with ThreadPoolExecutor(clients + 1) as pool:
            side = pool.submit(during) if during is not None else None
            runs = list(
                pool.map(lambda k: _client(found, per_client, subjects, k + 1), range(clients))
            )
            elapsed = time.perf_counter() - started
            if side is not None:
                side.result()
        used = cpu_seconds(pids) - cpu
    latencies: dict[str, list[float]] = {e: [] for e, _ in MIX}
    for one in runs:
        for endpoint, values in one.items():
            latencies[endpoint] += values
    return Run(per_client * clients, elapsed, used, latencies)
