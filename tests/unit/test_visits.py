"""The visit log's pure rules: browser families, page and referrer minimisation, IP truncation and
the keyed daily pseudonym, and when a visitor may be kept."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privault.core.consent import Entry
from privault.core.visits import (
    STATISTICS,
    Browser,
    DayCount,
    browser_family,
    check_days,
    every_day,
    ip_prefix,
    ip_pseudonym,
    link_for,
    normalise_page,
    referrer_host,
)
from privault.errors import InvalidInput

UAS = {
    Browser.CHROME: [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.6367.82 Mobile Safari/537.36",
    ],
    Browser.FIREFOX: [
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15",
    ],
    Browser.SAFARI: [
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4 Safari/605.1.15",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    ],
    Browser.EDGE: [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.2478.64",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045",
    ],
    Browser.OPERA: [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0",
        "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5.25",
    ],
    Browser.SAMSUNG: [
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
    ],
    Browser.BOT: [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/124.0.0.0 Safari/537.36",
        "curl/8.5.0",
        "python-requests/2.31.0",
    ],
    Browser.OTHER: [
        "",
        "   ",
        "something/1.0",
        "Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/122.0.0.0 YaBrowser/24.4.0.0 Safari/537.36",
    ],
}


@pytest.mark.parametrize(
    ("family", "agent"),
    [(family, agent) for family, agents in UAS.items() for agent in agents],
    ids=lambda v: v.value if isinstance(v, Browser) else v[:40],
)
def test_browser_family_of_real_user_agents(family: Browser, agent: str) -> None:
    """Each sample User-Agent is put in its family."""
    assert browser_family(agent) is family


def test_a_phone_model_named_cubot_is_not_a_bot() -> None:
    """Bots are found by 'bot'/'Bot' tokens, so the CUBOT brand stays a Chrome user."""
    agent = (
        "Mozilla/5.0 (Linux; Android 9; CUBOT X19 Build/PPR1) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36"
    )
    assert browser_family(agent) is Browser.CHROME


def test_no_user_agent_is_other() -> None:
    """A request without a User-Agent is counted as other."""
    assert browser_family(None) is Browser.OTHER


@pytest.mark.parametrize(
    ("page", "kept"),
    [
        ("/", "/"),
        ("/plans", "/plans"),
        ("/reset?email=ann@example.com&token=abc", "/reset"),
        ("/page#section-2", "/page"),
        ("/cart;jsessionid=0123ABC?x=1", "/cart"),
        ("/a/b/c/", "/a/b/c/"),
    ],
)
def test_page_keeps_the_path_only(page: str, kept: str) -> None:
    """Query strings, fragments and ';' parameters are dropped."""
    assert normalise_page(page) == kept


@pytest.mark.parametrize(
    "page",
    ["plans", "https://example.com/plans", "", "/" + "a" * 500, "/a b", "/a\nb", "/tab\t"],
)
def test_page_not_a_path_is_refused(page: str) -> None:
    """A page that is not a path starting with '/', or is longer than 500 characters, is refused."""
    with pytest.raises(InvalidInput) as caught:
        normalise_page(page)
    assert caught.value.code == "visit.invalid"
    if page:
        assert page not in caught.value.message  # errors never echo the input


def test_page_of_exactly_500_characters_is_kept() -> None:
    """The limit is inclusive."""
    page = "/" + "a" * 499
    assert normalise_page(page) == page


@pytest.mark.parametrize(
    ("referrer", "host"),
    [
        ("https://www.Example.org/search?q=ann%40example.com", "www.example.org"),
        ("http://user:secret@news.example.com:8080/a#b", "news.example.com"),
        ("https://example.net.", "example.net"),
        ("https://[2001:db8::1]/x", "2001:db8::1"),
        ("android-app://com.google.android.gm/", None),
        ("javascript:alert(1)", None),
        ("not a url", None),
        ("", None),
        (None, None),
        ("https://" + "a" * 400 + ".example/", None),
        ("http://[::1", None),
    ],
)
def test_referrer_keeps_its_host_only(referrer: str | None, host: str | None) -> None:
    """Only http(s) referrers count, reduced to the lower-case host."""
    assert referrer_host(referrer) == host


@pytest.mark.parametrize(
    ("address", "prefix"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("198.51.100.1", "198.51.100.0/24"),
        ("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::/48"),
        ("2001:0db8:0001:ffff::1", "2001:db8:1::/48"),
        ("::ffff:203.0.113.9", "203.0.113.0/24"),
        (" 10.1.2.3 ", "10.1.2.0/24"),
        ("not-an-ip", None),
        ("", None),
        (None, None),
    ],
)
def test_ip_is_truncated_to_24_or_48(address: str | None, prefix: str | None) -> None:
    """IPv4 keeps its /24, IPv6 its /48; an IPv4-mapped address is treated as IPv4."""
    assert ip_prefix(address) == prefix


@given(st.ip_addresses())
def test_a_truncated_ip_never_holds_the_host_part(address: object) -> None:
    """Whatever the address, the kept prefix is a network with all host bits zero."""
    text = str(address)
    kept = ip_prefix(text)
    assert kept is not None
    _, _, bits = kept.partition("/")
    assert bits in ("24", "48")
    assert kept != text


KEY_A, KEY_B = b"a" * 32, b"b" * 32
DAY = date(2026, 3, 2)


def test_pseudonym_is_stable_within_a_day() -> None:
    """The same address on the same day in the same tenant gives the same pseudonym."""
    assert ip_pseudonym(KEY_A, "203.0.113.77", DAY) == ip_pseudonym(KEY_A, "203.0.113.77", DAY)


def test_pseudonym_changes_every_day() -> None:
    """The next day the same address has another pseudonym."""
    tomorrow = date(2026, 3, 3)
    assert ip_pseudonym(KEY_A, "203.0.113.77", DAY) != ip_pseudonym(KEY_A, "203.0.113.77", tomorrow)


def test_pseudonym_differs_per_tenant_key() -> None:
    """Two tenants (two keys) never share a pseudonym for one address."""
    assert ip_pseudonym(KEY_A, "203.0.113.77", DAY) != ip_pseudonym(KEY_B, "203.0.113.77", DAY)


def test_pseudonym_differs_per_address_and_ignores_spelling() -> None:
    """Neighbouring addresses differ; two spellings of one IPv6 address agree."""
    assert ip_pseudonym(KEY_A, "203.0.113.77", DAY) != ip_pseudonym(KEY_A, "203.0.113.78", DAY)
    assert ip_pseudonym(KEY_A, "2001:db8::1", DAY) == ip_pseudonym(
        KEY_A, "2001:0db8:0000::0001", DAY
    )


@given(st.ip_addresses())
def test_pseudonym_never_contains_the_address(address: object) -> None:
    """The pseudonym is 32 hex characters and never the address or its network."""
    text = str(address)
    pseudonym = ip_pseudonym(KEY_A, text, DAY)
    assert pseudonym is not None
    assert len(pseudonym) == 32
    assert int(pseudonym, 16) >= 0
    assert text not in pseudonym
    assert pseudonym != ip_prefix(text)


def test_pseudonym_of_no_address_is_none() -> None:
    """No address, no pseudonym."""
    assert ip_pseudonym(KEY_A, None, DAY) is None
    assert ip_pseudonym(KEY_A, "garbage", DAY) is None


GRANTED = {STATISTICS: Entry(True, 1, 1, "accept")}
REFUSED = {STATISTICS: Entry(False, 1, 1, "reject")}
VISITOR = "visitor-0123456789abcdef"


def test_visitor_is_kept_with_statistics_consent_and_its_subject_too() -> None:
    """Statistics granted: the visitor and its linked subject are kept."""
    link = link_for(VISITOR, GRANTED, 7, private=False)
    assert (link.visitor, link.subject_id) == (VISITOR, 7)


@pytest.mark.parametrize("state", [{}, REFUSED], ids=["never-asked", "refused"])
def test_visitor_without_statistics_consent_is_not_kept(state: dict[str, Entry]) -> None:
    """No choice or a refusal: neither the visitor nor its subject."""
    link = link_for(VISITOR, state, 7, private=False)
    assert (link.visitor, link.subject_id) == (None, None)


def test_gpc_or_dnt_keeps_nobody_even_with_consent() -> None:
    """A private request keeps neither, whatever the banner said."""
    link = link_for(VISITOR, GRANTED, 7, private=True)
    assert (link.visitor, link.subject_id) == (None, None)


def test_stats_range_is_one_to_366_days() -> None:
    """0 and 367 days are refused."""
    assert check_days(1) == 1
    for bad in (0, 367, -5):
        with pytest.raises(InvalidInput):
            check_days(bad)


def test_every_day_fills_the_gaps_with_zero() -> None:
    """The trend has one entry per day of the range."""
    found = [DayCount(date(2026, 3, 2), 4)]
    days = every_day(date(2026, 3, 1), date(2026, 3, 3), found)
    assert [(d.day.day, d.visits) for d in days] == [(1, 0), (2, 4), (3, 0)]


def test_path_segments_that_look_personal_are_redacted() -> None:
    """An e-mail address (even percent-encoded), a long token or a long number in a path is never
    kept; ordinary segments are."""
    from privault.core.visits import normalise_page

    assert normalise_page("/u/ann%40example.com/settings") == "/u/:redacted/settings"
    assert normalise_page("/reset/" + "a1B2c3" * 5) == "/reset/:redacted"
    assert normalise_page("/orders/12345678") == "/orders/:redacted"
    assert normalise_page("/orders/42?ref=x") == "/orders/42"
