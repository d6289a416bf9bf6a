"""The visit log's rules: what a page view keeps, and nothing more (pure: no I/O).

A visit keeps the page's path (never its query string or fragment, which often carry e-mail addresses
or tokens), the referrer's host, the browser's family (never the User-Agent), the server's time and
either the network prefix of the IP (/24 or /48) or a keyed pseudonym of it that changes every day.
An anonymous visitor id, and the subject it is linked to, are kept only with statistics consent and
never for a request that carries ``Sec-GPC: 1`` or ``DNT: 1``.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from hashlib import sha256
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Literal
from urllib.parse import unquote, urlsplit

from privault.core.consent import Kind, State, topic, truncate_ip
from privault.errors import InvalidInput

PAGE_MAX = 500
REFERRER_MAX = 300
DAYS_MAX = 366
TOP = 20
STATISTICS = topic(Kind.COOKIE, "statistics")
IpMode = Literal["truncate", "pseudonym"]
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_CUT = re.compile(r"[?#;]")


class Browser(StrEnum):
    """The browser families the log counts (the full User-Agent is never kept)."""

    CHROME = "chrome"
    FIREFOX = "firefox"
    SAFARI = "safari"
    EDGE = "edge"
    OPERA = "opera"
    SAMSUNG = "samsung-internet"
    BOT = "bot"
    OTHER = "other"


LABELS = {
    Browser.CHROME: "Chrome",
    Browser.FIREFOX: "Firefox",
    Browser.SAFARI: "Safari",
    Browser.EDGE: "Edge",
    Browser.OPERA: "Opera",
    Browser.SAMSUNG: "Samsung Internet",
    Browser.BOT: "Bots and crawlers",
    Browser.OTHER: "Other",
}

# Crawlers name themselves "...bot" / "...Bot" (case-sensitive, so that a phone model spelt "CUBOT"
# is not one), or with one of these words; scripted clients count as bots too.
_BOT_NAME = re.compile(r"[Bb]ot\b")
_BOT = re.compile(
    r"crawl|spider|slurp|facebookexternalhit|mediapartners|headless|lighthouse|pingdom|curl/|"
    r"wget/|python-|go-http-client|okhttp|java/|scrapy|httpclient|phantomjs|bingpreview",
    re.IGNORECASE,
)
# Chromium- and WebKit-based browsers that also say "Chrome/" or "Safari/" but are none of ours.
_OTHER = re.compile(r"YaBrowser/|Vivaldi/|UCBrowser/|MiuiBrowser/|HuaweiBrowser/|DuckDuckGo/|GSA/")
# Checked in this order: each family's token, before the tokens of the browsers it imitates.
_FAMILIES: tuple[tuple[Browser, re.Pattern[str]], ...] = (
    (Browser.SAMSUNG, re.compile(r"SamsungBrowser/")),
    (Browser.EDGE, re.compile(r"\bEdg(?:e|A|iOS)?/")),
    (Browser.OPERA, re.compile(r"\bOPR/|\bOPiOS/|\bOPT/|\bOpera\b")),
    (Browser.FIREFOX, re.compile(r"\bFirefox/|\bFxiOS/")),
    (Browser.CHROME, re.compile(r"\bChrome/|\bCriOS/|\bChromium/")),
    (Browser.SAFARI, re.compile(r"\bVersion/[\d.]+.*\bSafari/|\bMobile/\w+ Safari/")),
)


def browser_family(user_agent: str | None) -> Browser:
    """The family of the browser that sent this User-Agent (bots first; unknown is ``other``)."""
    if not user_agent or not user_agent.strip():
        return Browser.OTHER
    if _BOT_NAME.search(user_agent) or _BOT.search(user_agent):
        return Browser.BOT
    if _OTHER.search(user_agent):
        return Browser.OTHER
    return next((b for b, pattern in _FAMILIES if pattern.search(user_agent)), Browser.OTHER)


# A path segment that looks like personal data or a secret: an e-mail address, or a long token.
_PERSONAL_SEGMENT = re.compile(
    r"^(?:[^/@]+@[^/@]+|(?=[^/]*\d)(?=[^/]*[A-Za-z])[A-Za-z0-9_\-]{24,}|\d{7,})$"
)
REDACTED = ":redacted"


def normalise_page(page: str) -> str:
    """The page's path only: the query string, fragment and ``;`` parameters are dropped, and a
    segment that looks like an e-mail address, a long token or a long number (``/u/ann@x.com``,
    ``/reset/<token>``) becomes ``:redacted``."""
    if len(page) > PAGE_MAX or not page.startswith("/") or _CONTROL.search(page):
        raise InvalidInput(
            f"a page is a path starting with '/', without spaces, of at most {PAGE_MAX} characters",
            code="visit.invalid",
        )
    path = _CUT.split(page, maxsplit=1)[0]
    return "/".join(
        REDACTED if _PERSONAL_SEGMENT.match(unquote(part)) else part for part in path.split("/")
    )


def referrer_host(referrer: str | None) -> str | None:
    """The referrer's host name, lower case, without scheme, port, user, path or query (else None)."""
    if not referrer or len(referrer) > 2000:
        return None
    try:
        parts = urlsplit(referrer.strip())
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host or _CONTROL.search(host):
        return None
    host = host.rstrip(".")
    return host if 0 < len(host) <= REFERRER_MAX else None


def parse_ip(address: str | None) -> IPv4Address | IPv6Address | None:
    """The address, an IPv4-mapped IPv6 address as IPv4 (None if it is not an IP address)."""
    if not address:
        return None
    try:
        parsed = ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def ip_prefix(address: str | None) -> str | None:
    """The network of the address: /24 for IPv4, /48 for IPv6 (never the address itself)."""
    parsed = parse_ip(address)
    return truncate_ip(str(parsed)) if parsed is not None else None


def ip_pseudonym(key: bytes, address: str | None, day: date) -> str | None:
    """HMAC-SHA256 of the day and the address with the tenant's key (32 hex): the same visitor has a
    different pseudonym every day and in every tenant, and it cannot be reversed without the key."""
    parsed = parse_ip(address)
    if parsed is None:
        return None
    message = f"privault:visit-ip:v1:{day.isoformat()}:{parsed}".encode()
    return hmac.new(key, message, sha256).hexdigest()[:32]


def grants_statistics(state: State) -> bool:
    """Has this holder's current cookie choice granted the statistics category?"""
    entry = state.get(STATISTICS)
    return entry is not None and entry.granted


@dataclass(frozen=True, slots=True)
class Link:
    """Whom a visit may name: the visitor id and the subject, or neither."""

    visitor: str | None
    subject_id: int | None


def link_for(
    visitor: str | None, state: State, linked_subject: int | None, *, private: bool
) -> Link:
    """Keep the visitor only if it granted statistics, and its subject only if it is also linked;
    a request with GPC or Do Not Track keeps neither."""
    if visitor is None or private or not grants_statistics(state):
        return Link(None, None)
    return Link(visitor, linked_subject)


@dataclass(frozen=True, slots=True)
class NewVisit:
    """A page view to store (already minimised)."""

    at: datetime
    page: str
    referrer: str | None
    browser: str
    client: str | None
    visitor: str | None
    subject_id: int | None


@dataclass(frozen=True, slots=True)
class Count:
    """A key (page, browser, referrer host) and how many visits had it."""

    key: str
    visits: int


@dataclass(frozen=True, slots=True)
class DayCount:
    """Visits on one UTC day."""

    day: date
    visits: int


@dataclass(frozen=True, slots=True)
class Totals:
    """All visits of a range, those that kept a visitor id (consented) and those linked to a subject."""

    visits: int
    consented: int
    linked: int


@dataclass(frozen=True, slots=True)
class VisitStats:
    """Counts only: never a client, visitor or subject."""

    since: date
    until: date
    totals: Totals
    pages: list[Count]
    days: list[DayCount]
    browsers: list[Count]
    referrers: list[Count]


def check_days(days: int) -> int:
    """A stats range is 1 to 366 days."""
    if not 1 <= days <= DAYS_MAX:
        raise InvalidInput(f"days is 1 to {DAYS_MAX}", code="visit.invalid")
    return days


def every_day(since: date, until: date, found: list[DayCount]) -> list[DayCount]:
    """One count per day of the range, zero where nothing was found."""
    counts = {d.day: d.visits for d in found}
    span = (until - since).days + 1
    return [
        DayCount(day, counts.get(day, 0))
        for day in (date.fromordinal(since.toordinal() + n) for n in range(span))
    ]
