"""The cookie rules: the Consent Mode v2 mapping and its checks (GCM-1), the UK's PECR Sch. A1
exemptions (UK-CK-1), and the GPC wording (CCPA-GPC-1)."""

from __future__ import annotations

import re

import pytest

from privault.api.routes.cookies import HONOURED
from privault.core.manifest import parse_manifest
from privault.core.manifest.cookies import (
    CONSENT_TYPES,
    DEFAULT_CONSENT_TYPES,
    UK_DUAA,
    UK_OPT_IN,
    uk_exempt,
)
from privault.core.manifest.model import CookieCategoryKey
from privault.errors import ManifestInvalid
from privault.web.banner import script_text
from tests.fixtures.cookie_modes import duaa_manifest

STATISTICS_CATEGORY = "  - key: statistics\n    name: Statistics\n"
NECESSARY_CATEGORY = "  - key: necessary\n    name: Strictly necessary\n"


def _problems(text: str) -> list[str]:
    with pytest.raises(ManifestInvalid) as raised:
        parse_manifest(text)
    return [issue.message for issue in raised.value.issues]


def test_the_default_mapping_grants_each_of_the_seven_types_once() -> None:
    """Every Consent Mode v2 type comes from exactly one of the four categories by default."""
    granted = [t for types in DEFAULT_CONSENT_TYPES.values() for t in types]
    assert sorted(granted) == sorted(CONSENT_TYPES)
    assert len(CONSENT_TYPES) == 7


def test_the_template_manifest_passes_the_consent_mode_checks(template: str) -> None:
    """The template declares no mapping, so the default one applies and passes."""
    assert parse_manifest(template).cookie_categories


def test_necessary_cookies_may_not_grant_analytics_or_advertising(template: str) -> None:
    """A 'necessary' category mapped to ad_storage is refused: it would grant it without consent."""
    text = template.replace(
        NECESSARY_CATEGORY,
        NECESSARY_CATEGORY + "    consent_types: [security_storage, ad_storage]\n",
    )
    problems = _problems(text)
    assert "strictly necessary cookies would grant 'ad_storage' without consent" in problems
    assert any("granted by both 'necessary' and 'marketing'" in p for p in problems)


def test_advertising_types_come_only_from_marketing(template: str) -> None:
    """Statistics mapped to ad_user_data is refused (and would be exempt under the UK mode)."""
    text = template.replace(
        STATISTICS_CATEGORY, STATISTICS_CATEGORY + "    consent_types: [ad_user_data]\n"
    )
    problems = _problems(text)
    assert (
        "cookie category 'statistics' would grant the advertising type 'ad_user_data'" in problems
    )


def test_a_declared_mapping_replaces_the_default(template: str) -> None:
    """A category may declare its own types when no other category grants them."""
    text = template.replace(
        STATISTICS_CATEGORY,
        STATISTICS_CATEGORY + "    consent_types: [analytics_storage]\n",
    )
    assert parse_manifest(text).cookie_categories[2].consent_types == ["analytics_storage"]


def test_a_tenant_under_eu_law_cannot_use_the_uk_exemptions(template: str) -> None:
    """duaa_exemptions on a tenant that is also under EU law is refused (ePrivacy Art. 5(3))."""
    problems = _problems(duaa_manifest(template, keep_eu=True))
    assert any(re.match(r"tenant 'northwind' is under EU law too", p) for p in problems)


def test_a_uk_only_tenant_may_use_the_uk_exemptions(template: str) -> None:
    """duaa_exemptions on a tenant under UK (and US) law only is accepted."""
    northwind = parse_manifest(duaa_manifest(template)).tenant("northwind")
    assert northwind is not None
    assert northwind.policy.uk_cookie_mode == UK_DUAA


@pytest.mark.parametrize(
    ("mode", "laws", "exempt"),
    [
        (UK_DUAA, ["uk"], {"statistics", "preference"}),
        (UK_DUAA, ["uk", "us-ca"], {"statistics", "preference"}),
        (UK_DUAA, ["uk", "eu"], set()),
        (UK_DUAA, ["us-ca"], set()),
        (UK_OPT_IN, ["uk"], set()),
    ],
)
def test_only_duaa_on_a_uk_tenant_under_no_eu_law_exempts(
    mode: str, laws: list[str], exempt: set[str]
) -> None:
    """Sch. A1 covers statistics and preferences, never marketing, and only outside EU law."""
    found = uk_exempt(mode, laws)
    assert {c.value for c in found} == exempt
    assert CookieCategoryKey.MARKETING not in found


def test_the_banner_and_the_api_use_the_regulations_gpc_wording() -> None:
    """11 CCR 7025(c)(6): "Opt-Out Request Honored", in the API answer and in the banner."""
    assert HONOURED == "Opt-Out Request Honored"
    assert 'var HONOURED = "Opt-Out Request Honored";' in script_text()
    assert "Opt-out request honoured" not in script_text()
