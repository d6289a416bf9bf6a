"""Decisions benchmark: batches of processing decisions over 100,000 subjects with mixed consents.

- Set-up (SQLite): 100,000 bluewave subjects (ref, email and phone, two fields; customer-service or
  billing) imported as in the vault benchmark; then a consent ledger of about 67,000 events spread
  over the past year: 40% consent to marketing-sms, 10% unsubscribed from one brand's e-mails, 5%
  objected to direct marketing, 2% restricted processing, 5% gave CPNI opt-in approval with consent
  to cpni-marketing (agent call). They go in through `privault consent import` (original times,
  validated, appended, projected and audited in batches of 25,000): `consents_setup_s`. A rebuild
  from the ledger then checks every stored state.
- In-process: `decide_many` on batches of 1,000 random questions (random subject; marketing-sms or
  marketing-email for one of the two brands, customer-service, cpni-marketing, billing), one unit of
  work per batch. First one pass over 100 batches in which every subject is touched for the first
  time, so its facts come from the database: `decisions_per_s_cold`. Then the steady state of a
  running service, whose per-process facts cache is kept current through the audit chain, for at
  least 3 s each: `decisions_per_s` without audit, `decisions_per_s_audited` with one audit event
  per batch (as the API does); the two take turns on the same batches. Then batches of 10,000 (the
  API's largest): `decisions_per_s_batch_10000`. A few batches are checked against the answers the
  generated consents imply.
- HTTP: the same batches through `POST /v1/decisions` on `privault serve` (one process): one pass
  from one client in which the server touches every subject first (`decisions_per_s_http_cold`),
  then from client threads with keep-alive connections for at least 5 s: `decisions_per_s_http`.
  Every answer is parsed by the client.

Targets on a 2-core machine (issue #4): >= 200,000 decisions/s in-process (batches) and >= 20,000
decisions/s through the HTTP batch endpoint. On this machine (2026-11-29): both met in the steady
state, 272,000 decisions/s in-process in batches of 1,000 (640,000 in batches of 10,000; 149,000
with one audit event per batch) and 26,000 to 32,000/s over HTTP. The first question about a
subject costs a database lookup: 23,000 to 35,000/s in-process and 13,000 to 15,000/s over HTTP
cold. Runs on this shared VM vary by 15% or more. Set-up takes about 40 s (subjects 20 to 28 s,
consents about 20 s). On 2026-12-07, with issue #14's per-law rule labels and children's ages in
the decision: both met, 631,000 decisions/s in batches of 1,000 (384,000 audited), 77,000/s over
HTTP, 67,000/s cold; set-up 13 s. Later that day, after issue #16: 13,043/s (a regression: the
change mark made SQLite sort the tenant's whole audit log on every batch); fixed (the mark is the
database's newest event, one index lookup): 357,706/s in batches of 1,000 (312,846 audited),
51,045/s over HTTP, 42,178/s cold, both targets met. Each batch now also checks the newest event's
MAC (a restored database) and marks the subjects it answers from as recently used. Then, with the
batch's reads in a read-only transaction (no SQLite write lock but for the audit event): 542,188/s
(452,455 audited), 50,815/s over HTTP, 43,130/s cold.
Scale down for a quick look with PRIVAULT_BENCH_SCALE=0.1.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx2 as httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import deployment, officer, served
from privault.bootstrap import Container
from privault.core.consent import Choice, Kind, Method, Via
from privault.services.consent import (
    Evidence,
    rebuild,
)
from privault.services.consent_import import import_choices
from privault.services.decisions import Question, decide_many
from privault.services.vault_import import import_subjects

SCALE = float(os.environ.get("PRIVAULT_BENCH_SCALE", "1"))
SUBJECTS = int(100_000 * SCALE)
TENANT = "bluewave"
BRANDS = ("bluewave-mobile", "tidal-prepaid")
BATCH = 1_000
IN_PROCESS_S = 3.0
HTTP_S = 5.0
HTTP_THREADS = 3
SETUP_CHUNK = 25_000  # consent interactions per unit of work during set-up
SEED = 4

TARGETS = {
    "decisions_per_s": (">=", 200_000),
    "decisions_per_s_http": (">=", 20_000),
}

# (purpose, brand) of the questions asked, with their weights.
QUESTION_MIX = (
    (("marketing-sms", "bluewave-mobile"), 15),
    (("marketing-sms", "tidal-prepaid"), 10),
    (("marketing-email", "bluewave-mobile"), 15),
    (("marketing-email", "tidal-prepaid"), 10),
    (("customer-service", None), 20),
    (("cpni-marketing", None), 15),
    (("billing", None), 15),
)
MARKETING = {"marketing-sms", "marketing-email", "cpni-marketing"}


def log(message: str) -> None:
    """Progress on stderr; the figures go to stdout."""
    print(message, file=sys.stderr, flush=True)


def ref(i: int) -> str:
    """The subject's reference in the client's CRM."""
    return f"c-{i + 1:06d}"


def subject_line(i: int) -> dict[str, object]:
    """A bluewave customer: email and phone, name and account number."""
    return {
        "subject": ref(i),
        "identities": {
            "email": f"user{i}@example.com",
            "phone": f"+1415{5_000_000 + i % 4_000_000:07d}",
        },
        "data": {"user.name": f"Customer {i}", "cc.account.number": f"BW-{i:08d}"},
        "source": "direct",
        "purpose": "customer-service" if i % 3 else "billing",
    }


@dataclass(frozen=True, slots=True)
class Profile:
    """What one subject chose (drawn at random); the checks derive the expected answers from it."""

    sms: bool
    email_optout: str | None  # the brand unsubscribed from
    objected: bool
    restricted: bool
    cpni: bool

    def expected(self, purpose: str, brand: str | None) -> bool:
        """Whether a question about this subject should be allowed."""
        if self.restricted or (self.objected and purpose in MARKETING):
            return False
        if purpose == "marketing-sms":
            return self.sms
        if purpose == "marketing-email":
            return self.email_optout != brand
        if purpose == "cpni-marketing":
            return self.cpni
        return True


def draw_profiles(rng: random.Random) -> list[Profile]:
    """The consent mix: each choice drawn independently per subject."""
    return [
        Profile(
            sms=rng.random() < 0.40,
            email_optout=rng.choice(BRANDS) if rng.random() < 0.10 else None,
            objected=rng.random() < 0.05,
            restricted=rng.random() < 0.02,
            cpni=rng.random() < 0.05,
        )
        for _ in range(SUBJECTS)
    ]


@dataclass(frozen=True, slots=True)
class Interaction:
    """One call of record_choices: a subject's choices with their evidence, at one instant."""

    at: datetime
    subject: int  # index of the subject
    choices: tuple[Choice, ...]
    evidence: Evidence


def interactions(
    profiles: Sequence[Profile], now: datetime, rng: random.Random
) -> list[Interaction]:
    """Every subject's choices as separate interactions over the past year, oldest first."""
    year = 365 * 86_400

    def when() -> datetime:
        return now - timedelta(seconds=rng.randrange(60, year))

    found: list[Interaction] = []
    for i, p in enumerate(profiles):
        if p.sms:
            evidence = Evidence(
                Method.FORM, Via.WEB, brand=rng.choice(BRANDS), shown="sign-up: SMS offers box"
            )
            found.append(
                Interaction(when(), i, (Choice(Kind.PURPOSE, "marketing-sms", True),), evidence)
            )
        if p.email_optout:
            evidence = Evidence(Method.UNSUBSCRIBE, Via.EMAIL, brand=p.email_optout)
            choice = Choice(Kind.MARKETING, f"{p.email_optout}:email", False)
            found.append(Interaction(when(), i, (choice,), evidence))
        if p.objected:
            evidence = Evidence(Method.REQUEST, Via.WEB, shown="privacy center: object")
            found.append(
                Interaction(when(), i, (Choice(Kind.OBJECTION, "marketing", False),), evidence)
            )
        if p.restricted:
            evidence = Evidence(Method.REQUEST, Via.EMAIL)
            found.append(Interaction(when(), i, (Choice(Kind.RESTRICTION, "*", False),), evidence))
        if p.cpni:
            evidence = Evidence(
                Method.AGENT,
                Via.AGENT_DESKTOP,
                brand=BRANDS[0],
                agent=f"agent-{rng.randrange(200)}",
                call_id=f"call-{i}",
            )
            choices = (
                Choice(Kind.CPNI, "*", True),
                Choice(Kind.PURPOSE, "cpni-marketing", True),
            )
            found.append(Interaction(when(), i, choices, evidence))
    found.sort(key=lambda x: x.at)
    return found


def record_in_bulk(container: Container, found: Sequence[Interaction]) -> int:
    """Import the interactions with their original times (``privault consent import``): validated,
    appended, folded and audited like any choice, SETUP_CHUNK records per transaction."""
    lines = (
        (
            n,
            {
                "subject": ref(x.subject),
                "at": x.at.isoformat(),
                "choices": [
                    {"kind": c.kind.value, "scope": c.scope, "granted": c.granted}
                    for c in x.choices
                ],
                "method": x.evidence.method.value,
                "channel": x.evidence.via.value,
                "brand": x.evidence.brand,
                "shown": x.evidence.shown,
                "agent": x.evidence.agent,
                "call_id": x.evidence.call_id,
            },
        )
        for n, x in enumerate(found, start=1)
    )
    report = import_choices(
        container.deps,
        TENANT,
        "bench",
        lines,
        container.clock.now(),
        batch_size=SETUP_CHUNK,
    )
    assert not report.errors, report.errors[:3]
    return report.events


def question_batches(rng: random.Random, count: int) -> list[list[tuple[int, str, str | None]]]:
    """Batches of (subject index, purpose, brand)."""
    kinds = [k for k, _ in QUESTION_MIX]
    weights = [w for _, w in QUESTION_MIX]
    return [
        [(rng.randrange(SUBJECTS), *rng.choices(kinds, weights)[0]) for _ in range(BATCH)]
        for _ in range(count)
    ]


def as_questions(batch: Sequence[tuple[int, str, str | None]]) -> list[Question]:
    """The service's questions."""
    return [Question(purpose, ref(i), brand=brand) for i, purpose, brand in batch]


def as_body(batch: Sequence[tuple[int, str, str | None]]) -> bytes:
    """The API's request body."""
    questions = [
        {"subject": ref(i), "purpose": purpose, "categories": [], "brand": brand}
        for i, purpose, brand in batch
    ]
    return json.dumps({"questions": questions}, separators=(",", ":")).encode()


def check_answers(
    batch: Sequence[tuple[int, str, str | None]],
    allowed: Sequence[bool],
    profiles: Sequence[Profile],
) -> None:
    """Every answer is what the subject's generated consents imply."""
    wrong = [
        (ref(i), purpose, brand, profiles[i], got)
        for (i, purpose, brand), got in zip(batch, allowed, strict=True)
        if profiles[i].expected(purpose, brand) != got
    ]
    assert not wrong, f"{len(wrong)} unexpected answers, e.g. {wrong[:3]}"


def bench_in_process(
    container: Container, tenant_id: int, batches: Sequence[list[Question]]
) -> tuple[float, float, float, float, list[list[bool]]]:
    """Decisions per second without and with audit, one unit of work per batch; both modes take turns
    on the same batches (so a busy neighbour on the machine slows both alike), IN_PROCESS_S each.
    Also the answers of the first batches (each batch is asked in both modes: they must agree)."""
    deps = container.deps
    clock = container.clock
    started = time.perf_counter()  # first touch of each subject: its facts come from the database
    for batch in batches:
        decide_many(deps, TENANT, tenant_id, batch, clock.now())
    cold = sum(map(len, batches)) / (time.perf_counter() - started)
    spent = {None: 0.0, "bench": 0.0}
    decided, n, first = 0, 0, []
    while n < 3 or min(spent.values()) < IN_PROCESS_S:
        batch = batches[n % len(batches)]
        found = []
        for actor in (None, "bench") if n % 2 else ("bench", None):
            started = time.perf_counter()
            answers = decide_many(deps, TENANT, tenant_id, batch, clock.now(), actor=actor)
            spent[actor] += time.perf_counter() - started
            found.append([a.allowed for a in answers])
        assert found[0] == found[1]
        if n < 3:
            first.append(found[0])
        decided += len(batch)
        n += 1
    big = [[q for b in batches[i : i + 10] for q in b] for i in range(0, len(batches), 10)]
    started, asked = time.perf_counter(), 0  # the API's largest batch: 10,000 questions
    while asked < 10 * BATCH * len(big) or time.perf_counter() - started < 2.0:
        asked += len(decide_many(deps, TENANT, tenant_id, big[asked % len(big)], clock.now()))
    large = asked / (time.perf_counter() - started)
    return decided / spent[None], decided / spent["bench"], cold, large, first


def bench_http(
    base: str,
    headers: dict[str, str],
    bodies: Sequence[bytes],
    batches: Sequence[Sequence[tuple[int, str, str | None]]],
    profiles: Sequence[Profile],
) -> tuple[float, float]:
    """Decisions per second through POST /v1/decisions from HTTP_THREADS client threads, once every
    batch has been asked (steady state), and during that first pass (cold, one client)."""
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:  # warm up and check
        for body, batch in zip(bodies[:2], batches[:2], strict=True):
            response = client.post("/v1/decisions", content=body)
            response.raise_for_status()
            check_answers(batch, [a["allowed"] for a in response.json()["answers"]], profiles)
        started = time.perf_counter()  # one pass over every batch: the server's first touch (cold)
        for body in bodies:
            client.post("/v1/decisions", content=body).raise_for_status()
        cold = len(bodies) * BATCH / (time.perf_counter() - started)
    counts = [0] * HTTP_THREADS
    deadline = time.perf_counter() + HTTP_S

    def worker(k: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            n = k
            while time.perf_counter() < deadline:
                response = client.post("/v1/decisions", content=bodies[n % len(bodies)])
                response.raise_for_status()
                counts[k] += len(response.json()["answers"])
                n += HTTP_THREADS

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(HTTP_THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started), cold


def main() -> None:
    """Set up, measure; print one JSON object last."""
    rng = random.Random(SEED)
    figures: dict[str, float | int | str] = {"subjects": SUBJECTS, "batch": BATCH}
    with deployment("sqlite") as container:
        who = officer(container, TENANT)
        started = time.perf_counter()
        lines = ((i, subject_line(i)) for i in range(SUBJECTS))
        report = import_subjects(container.deps, who, lines, batch_size=2000, workers=1)
        assert report.imported == SUBJECTS, report.errors[:3]
        figures["subjects_setup_s"] = round(time.perf_counter() - started, 1)
        log(f"set-up: {SUBJECTS:,} subjects imported in {figures['subjects_setup_s']} s")

        profiles = draw_profiles(rng)
        started = time.perf_counter()
        found = interactions(profiles, container.clock.now(), rng)
        events = record_in_bulk(container, found)
        figures["consent_events"] = events
        figures["consents_setup_s"] = round(time.perf_counter() - started, 1)
        # the stored states are exactly the ledger's projection
        check = rebuild(container.deps, TENANT, "bench", container.clock.now(), apply_fix=False)
        assert check.events == events, (check.events, events)
        assert not check.differing, check.differing[:3]
        figures["consent_holders"] = check.holders
        log(
            f"set-up: {events:,} consent events ({len(found):,} interactions) for "
            f"{figures['consent_holders']:,} subjects in {figures['consents_setup_s']} s"
        )

        raw = question_batches(rng, 100)
        batches = [as_questions(b) for b in raw]
        plain, audited, cold, large, first = bench_in_process(container, who.tenant_id, batches)
        figures["decisions_per_s_cold"] = round(cold)
        figures["decisions_per_s_batch_10000"] = round(large)
        for batch, allowed in zip(raw[: len(first)], first, strict=True):
            check_answers(batch, allowed, profiles)
        share = sum(map(sum, first)) / sum(map(len, first))
        figures["allowed_share"] = round(share, 3)
        figures["decisions_per_s"] = round(plain)
        figures["decisions_per_s_audited"] = round(audited)
        log(
            f"in-process: {plain:,.0f} decisions/s in batches of {BATCH} ({share:.0%} allowed); "
            f"{audited:,.0f}/s with one audit event per batch; {cold:,.0f}/s on first touch (cold); "
            f"{large:,.0f}/s in batches of 10,000"
        )

        bodies = [as_body(b) for b in raw]
        with served(container, TENANT) as (base, auth):
            headers = {**auth, "Content-Type": "application/json"}
            rate, cold_http = bench_http(base, headers, bodies, raw, profiles)
        figures["http_threads"] = HTTP_THREADS
        figures["decisions_per_s_http"] = round(rate)
        figures["decisions_per_s_http_cold"] = round(cold_http)
        log(f"HTTP: {rate:,.0f} decisions/s ({HTTP_THREADS} client threads, audited)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
