"""The visit log on SQLite and PostgreSQL: what a page view keeps, when a visitor is kept, the stats,
and that no full IP address or User-Agent ever reaches the table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from privault.bootstrap import Container
from privault.core.access import Principal
from privault.core.clock import FixedClock
from privault.core.consent import Choice, Kind, Method, Via
from privault.core.visits import IpMode, NewVisit
from privault.errors import InvalidInput, NotFound
from privault.services.consent import Evidence, Holder, link_visitor, record_choices
from privault.services.setup import apply_manifest
from privault.services.tenants import bind_tenant
from privault.services.vault import erase_subject
from privault.services.vault_import import create_subject
from privault.services.visits import (
    Hit,
    anonymise_visits,
    forget_subject_visits,
    record_visit,
    visit_stats,
)
from privault.storage import tables as t

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
LINKED = "visitor-linked-0000000001"  # granted statistics, linked to subject n-1
GRANTED = "visitor-granted-000000002"  # granted statistics, not linked
REFUSED = "visitor-refused-000000003"  # refused statistics, linked to subject n-2
SILENT = "visitor-silent-0000000004"  # never chose
IPS = ["203.0.113.77", "198.51.100.200", "2001:db8:85a3:8d3:1319:8a2e:370:7348", "192.0.2.45"]


@pytest.fixture
def ready(container: Container) -> Container:
    """The manifest applied; two northwind subjects; visitors that granted, refused or never chose."""
    apply_manifest(container.deps)
    with container.uow() as uow:
        tenant_id = bind_tenant(uow, "northwind").id
    officer = Principal(tenant_id, "northwind", "privacy-officer", "cli", "test")
    for n in (1, 2):
        create_subject(
            container.deps,
            officer,
            {
                "subject": f"n-{n}",
                "identities": {"email": f"n{n}@example.com"},
                "data": {"user.name": f"N{n}"},
                "source": "direct",
                "purpose": "customer-service",
            },
        )
    _banner(container, LINKED, statistics=True)
    _banner(container, GRANTED, statistics=True)
    _banner(container, REFUSED, statistics=False)
    _link(container, LINKED, "n-1")
    _link(container, REFUSED, "n-2")
    return container


def _banner(c: Container, visitor: str, *, statistics: bool) -> None:
    choices = [
        Choice(Kind.COOKIE, "preference", True),
        Choice(Kind.COOKIE, "statistics", statistics),
        Choice(Kind.COOKIE, "marketing", False),
    ]
    record_choices(
        c.deps,
        "northwind",
        "test",
        Holder(visitor=visitor),
        choices,
        Evidence(Method.SAVE, Via.WEB),
        c.clock.now(),
    )


def _link(c: Container, visitor: str, subject: str) -> None:
    evidence = Evidence(Method.FORM, Via.WEB)
    link_visitor(c.deps, "northwind", "test", visitor, subject, evidence, c.clock.now())


def _visit(
    c: Container, hit: Hit, *, tenant: str = "northwind", mode: IpMode = "truncate"
) -> NewVisit:
    return record_visit(c.deps, mode, tenant, hit, c.clock.now())


def _rows(c: Container, tenant: str = "northwind") -> list[t.Visit]:
    with c.uow() as uow:
        bind_tenant(uow, tenant)
        found = uow.session.scalars(select(t.Visit).order_by(t.Visit.id)).all()
        uow.session.expunge_all()
        return list(found)


def _subject_id(c: Container, ref: str) -> int:
    with c.uow() as uow:
        bind_tenant(uow, "northwind")
        found = uow.subjects.get_by_ref(ref)
        assert found is not None
        return found.id


def test_a_visit_keeps_the_path_the_referrer_host_the_family_and_the_prefix(
    ready: Container,
) -> None:
    """Query string, referrer path, User-Agent and the address itself are never stored."""
    hit = Hit(
        page="/reset?email=ann@example.com#top",
        referrer="https://www.search.example/q?ann@example.com",
        user_agent=CHROME,
        ip="203.0.113.77",
    )
    _visit(ready, hit)
    [row] = _rows(ready)
    assert (row.page, row.referrer, row.browser, row.client) == (
        "/reset",
        "www.search.example",
        "chrome",
        "203.0.113.0/24",
    )
    assert (row.visitor, row.subject_id) == (None, None)
    assert row.at == ready.clock.now()


def test_ipv6_is_kept_as_its_48(ready: Container) -> None:
    """An IPv6 visitor keeps only the /48 network."""
    _visit(ready, Hit(page="/", ip="2001:db8:85a3:8d3:1319:8a2e:370:7348"))
    assert _rows(ready)[0].client == "2001:db8:85a3::/48"


def test_a_visitor_that_never_chose_is_not_kept(ready: Container) -> None:
    """No cookie choice: no visitor id."""
    stored = _visit(ready, Hit(page="/", visitor=SILENT))
    assert (stored.visitor, stored.subject_id) == (None, None)
    assert _rows(ready)[0].visitor is None


def test_a_visitor_that_refused_statistics_is_not_kept_nor_its_subject(ready: Container) -> None:
    """Refused statistics: neither the visitor nor the subject it is linked to."""
    stored = _visit(ready, Hit(page="/", visitor=REFUSED))
    assert (stored.visitor, stored.subject_id) == (None, None)
    row = _rows(ready)[0]
    assert (row.visitor, row.subject_id) == (None, None)


def test_a_visitor_that_granted_statistics_is_kept(ready: Container) -> None:
    """Statistics granted, no link: the visitor id is kept, no subject."""
    _visit(ready, Hit(page="/", visitor=GRANTED))
    row = _rows(ready)[0]
    assert (row.visitor, row.subject_id) == (GRANTED, None)


def test_a_consenting_linked_visitor_links_the_visit_to_its_subject(ready: Container) -> None:
    """Statistics granted and linked: the visit names the subject."""
    _visit(ready, Hit(page="/", visitor=LINKED))
    row = _rows(ready)[0]
    assert (row.visitor, row.subject_id) == (LINKED, _subject_id(ready, "n-1"))


def test_an_erased_subject_is_never_linked(ready: Container) -> None:
    """After the subject's erasure its consenting visitor is still counted, but names nobody."""
    with ready.uow() as uow:
        tenant_id = bind_tenant(uow, "northwind").id
    officer = Principal(tenant_id, "northwind", "privacy-officer", "cli", "test")
    erase_subject(ready.deps, officer, "n-1", "privacy-requests", "request:1")
    _visit(ready, Hit(page="/", visitor=LINKED))
    row = _rows(ready)[0]
    assert (row.visitor, row.subject_id) == (LINKED, None)


def test_gpc_or_dnt_keeps_no_visitor_even_with_consent(ready: Container) -> None:
    """A private request (Sec-GPC or DNT) is anonymous whatever the banner said."""
    _visit(ready, Hit(page="/", visitor=LINKED, private=True, ip="203.0.113.77"))
    row = _rows(ready)[0]
    assert (row.visitor, row.subject_id) == (None, None)
    assert row.client == "203.0.113.0/24"


def test_withdrawing_statistics_stops_keeping_the_visitor(
    ready: Container, clock: FixedClock
) -> None:
    """The current choice counts: after a withdrawal the next visit is anonymous."""
    _visit(ready, Hit(page="/a", visitor=GRANTED))
    clock.at += timedelta(minutes=1)
    _banner(ready, GRANTED, statistics=False)
    _visit(ready, Hit(page="/b", visitor=GRANTED))
    assert [r.visitor for r in _rows(ready)] == [GRANTED, None]


def test_a_tenant_without_statistics_cookies_never_keeps_a_visitor(ready: Container) -> None:
    """Bluewave offers no statistics category: no visitor can have consented."""
    stored = _visit(ready, Hit(page="/", visitor=GRANTED), tenant="bluewave")
    assert stored.visitor is None


def test_unknown_tenant_and_bad_page_are_refused_and_store_nothing(ready: Container) -> None:
    """tenant.unknown (404) and visit.invalid (422); the table stays empty."""
    with pytest.raises(NotFound) as unknown:
        _visit(ready, Hit(page="/"), tenant="acme")
    assert unknown.value.code == "tenant.unknown"
    for page in ("plans", "/" + "x" * 500):
        with pytest.raises(InvalidInput) as bad:
            _visit(ready, Hit(page=page))
        assert bad.value.code == "visit.invalid"
    with pytest.raises(InvalidInput) as bad_visitor:
        _visit(ready, Hit(page="/", visitor="short"))
    assert bad_visitor.value.code == "visit.invalid"
    assert _rows(ready) == []


def test_pseudonym_changes_every_day_and_per_tenant_and_is_never_the_ip(
    ready: Container, clock: FixedClock
) -> None:
    """Same address: same pseudonym within a day and tenant; another the next day or tenant."""
    hit = Hit(page="/", ip="203.0.113.77")
    first = _visit(ready, hit, mode="pseudonym").client
    again = _visit(ready, hit, mode="pseudonym").client
    other_tenant = _visit(ready, hit, tenant="harbour", mode="pseudonym").client
    clock.at += timedelta(days=1)
    next_day = _visit(ready, hit, mode="pseudonym").client
    assert first is not None
    assert first == again
    assert len({first, other_tenant, next_day}) == 3
    assert "203.0.113" not in first
    assert [r.client for r in _rows(ready)] == [first, first, next_day]


def test_stats_count_pages_days_browsers_referrers_and_links(
    ready: Container, clock: FixedClock
) -> None:
    """Counts for the range only, most first, every day of the range, this tenant only."""
    start = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    clock.at = start - timedelta(days=40)
    _visit(ready, Hit(page="/old"))  # outside a 30-day range
    clock.at = start - timedelta(days=2)
    for _ in range(3):
        _visit(ready, Hit(page="/plans?x=1", user_agent=CHROME, referrer="https://a.example/x"))
    _visit(ready, Hit(page="/help", user_agent=FIREFOX, visitor=GRANTED))
    clock.at = start
    _visit(ready, Hit(page="/plans", user_agent=FIREFOX, referrer="https://b.example/"))
    _visit(ready, Hit(page="/help", user_agent=BOT, visitor=LINKED))
    _visit(ready, Hit(page="/", user_agent=CHROME, referrer="https://b.example/y"))
    _visit(ready, Hit(page="/elsewhere"), tenant="harbour")
    found = visit_stats(ready.deps, "northwind", 30, start)
    assert (found.totals.visits, found.totals.consented, found.totals.linked) == (7, 2, 1)
    assert [(c.key, c.visits) for c in found.pages] == [("/plans", 4), ("/help", 2), ("/", 1)]
    assert [(c.key, c.visits) for c in found.browsers] == [
        ("chrome", 4),
        ("firefox", 2),
        ("bot", 1),
    ]
    assert [(c.key, c.visits) for c in found.referrers] == [("a.example", 3), ("b.example", 2)]
    assert len(found.days) == 30
    assert found.days[0].day == start.date() - timedelta(days=29)
    assert [(d.day, d.visits) for d in found.days if d.visits] == [
        (start.date() - timedelta(days=2), 4),
        (start.date(), 3),
    ]
    week = visit_stats(ready.deps, "northwind", 1, start)
    assert week.totals.visits == 3


def test_top_pages_are_at_most_twenty(ready: Container) -> None:
    """The popular pages list stops at 20, most visited first."""
    for n in range(25):
        for _ in range(1 + (n == 7)):
            _visit(ready, Hit(page=f"/p{n}"))
    found = visit_stats(ready.deps, "northwind", 1, ready.clock.now())
    assert len(found.pages) == 20
    assert found.pages[0].key == "/p7"
    assert found.totals.visits == 26


@pytest.mark.parametrize("mode", ["truncate", "pseudonym"])
@pytest.mark.raw_sql  # counts or rewrites rows in its own SQL
def test_the_visits_table_never_holds_a_full_ip_or_user_agent(
    ready: Container, mode: IpMode
) -> None:
    """Scan every column of every row, across tenants: no address, no User-Agent, no query."""
    for n, ip in enumerate(IPS):
        for tenant in ("northwind", "harbour"):
            page = f"/p{n}?email=ann@example.com&ip={ip}"
            _visit(
                ready,
                Hit(page=page, ip=ip, user_agent=CHROME, visitor=LINKED),
                tenant=tenant,
                mode=mode,
            )
    _visit(ready, Hit(page="/v", ip="::ffff:192.0.2.45", user_agent=FIREFOX), mode=mode)
    with ready.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM visits")).all()
    assert len(rows) == 2 * len(IPS) + 1
    cells = [str(value) for row in rows for value in row if value is not None]
    for needle in [*IPS, "192.0.2.45", CHROME, "Gecko", "example.com", "?"]:
        assert not [cell for cell in cells if needle in cell], needle


def test_forgetting_a_subject_unlinks_its_visits_only(ready: Container) -> None:
    """The erasure path clears the subject and visitor of that subject's visits; others stay."""
    _visit(ready, Hit(page="/a", visitor=LINKED))
    _visit(ready, Hit(page="/b", visitor=GRANTED))
    subject_id = _subject_id(ready, "n-1")
    with ready.uow() as uow:
        bind_tenant(uow, "northwind")
        assert forget_subject_visits(uow, [subject_id]) == 1
        uow.commit()
    assert [(r.page, r.visitor, r.subject_id) for r in _rows(ready)] == [
        ("/a", None, None),
        ("/b", GRANTED, None),
    ]


def test_anonymising_old_visits_keeps_the_counts(ready: Container, clock: FixedClock) -> None:
    """Visits before the cut-off lose client, visitor and subject; newer ones and counts stay."""
    now = clock.at
    clock.at = now - timedelta(days=400)
    _visit(ready, Hit(page="/old", visitor=LINKED, ip="203.0.113.7"))
    clock.at = now
    _visit(ready, Hit(page="/new", visitor=LINKED, ip="203.0.113.7"))
    _visit(ready, Hit(page="/elsewhere", ip="203.0.113.7"), tenant="harbour")
    with ready.uow() as uow:
        bind_tenant(uow, "northwind")
        assert anonymise_visits(uow, now - timedelta(days=395)) == 1
        uow.commit()
    old, new = _rows(ready)
    assert (old.page, old.client, old.visitor, old.subject_id) == ("/old", None, None, None)
    assert (new.client, new.visitor) == ("203.0.113.0/24", LINKED)
    assert _rows(ready, "harbour")[0].client == "203.0.113.0/24"
    assert visit_stats(ready.deps, "northwind", 366, now).totals.visits == 1
