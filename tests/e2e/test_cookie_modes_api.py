"""Cookie choices over HTTP under the UK cookie modes (UK-CK-1) and the banner's Consent Mode
configuration (GCM-1), on both engines."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from privault.bootstrap import Container
from privault.core.manifest.cookies import CONSENT_TYPES
from privault.http.app import create_app
from privault.services.setup import apply_manifest
from tests.e2e.visitor_helpers import prove
from tests.fixtures.cookie_modes import duaa_manifest

VISITOR = "visitor-0123456789abcdef"
STATUS = f"/v1/tenants/northwind/cookie-consent/{VISITOR}"


def _client(container: Container) -> TestClient:
    apply_manifest(container.deps)
    client = TestClient(create_app(container), raise_server_exceptions=False)
    prove(client, container, VISITOR, "northwind")  # VISITOR's own browser
    return client


@pytest.fixture
def opt_in(container: Container) -> Iterator[TestClient]:
    """The template manifest: every tenant opt-in (the policy default)."""
    with _client(container) as client:
        yield client


@pytest.fixture
def duaa(container: Container) -> Iterator[TestClient]:
    """northwind as a UK-only tenant with ``uk_cookie_mode: duaa_exemptions``."""
    path = container.settings.manifest_path
    path.write_text(duaa_manifest(path.read_text(encoding="utf-8")), encoding="utf-8")
    container.reload_manifest()
    with _client(container) as client:
        yield client


def test_opt_in_mode_asks_for_statistics_and_preferences(opt_in: TestClient) -> None:
    """With the default opt_in, nothing optional is on before a choice and the banner asks."""
    status = opt_in.get(STATUS).json()
    assert status["exempt"] == []
    assert status["notice"] is False
    assert status["reask"] is True
    assert {k: status["choices"][k] for k in ("preference", "statistics", "marketing")} == {
        "preference": None,
        "statistics": None,
        "marketing": None,
    }


def test_duaa_mode_sets_statistics_and_preferences_without_consent(duaa: TestClient) -> None:
    """Under duaa_exemptions statistics and preferences are on until objected to; marketing asks."""
    status = duaa.get(STATUS).json()
    assert status["exempt"] == ["preference", "statistics"]
    assert status["notice"] is True
    assert status["choices"]["statistics"] is True
    assert status["choices"]["preference"] is True
    assert status["choices"]["marketing"] is None
    assert status["reask"] is True  # marketing is never exempt


def test_duaa_objection_is_recorded_and_stops_the_category(duaa: TestClient) -> None:
    """An objection (save with statistics off) is kept; nothing is asked again and no notice shows."""
    answer = duaa.post(
        "/v1/tenants/northwind/cookie-consent",
        json={
            "visitor": VISITOR,
            "method": "save",
            "choices": {"preference": True, "statistics": False, "marketing": False},
            "shown": "banner: UK notice; Object | Preferences | OK",
        },
    )
    assert answer.status_code == 201, answer.text
    status = duaa.get(STATUS).json()
    assert status["choices"]["statistics"] is False
    assert status["choices"]["preference"] is True
    assert (status["reask"], status["notice"]) == (False, False)


def test_duaa_reject_all_objects_to_the_exempt_categories_too(duaa: TestClient) -> None:
    """Reject all is an objection to every exempt category as well as a refusal of marketing."""
    duaa.post("/v1/tenants/northwind/cookie-consent", json={"visitor": VISITOR, "method": "reject"})
    choices = duaa.get(STATUS).json()["choices"]
    assert [choices[k] for k in ("preference", "statistics", "marketing")] == [False] * 3


def _config(client: TestClient, tenant: str) -> dict[str, object]:
    script = client.get(f"/v1/tenants/{tenant}/banner.js").text
    literal = script[script.rindex("})(") + 3 : script.rindex(");")]
    found: dict[str, object] = json.loads(literal)
    return found


def test_banner_script_carries_the_consent_mode_mapping(opt_in: TestClient) -> None:
    """banner.js is given the seven types, each category's types and wait_for_update."""
    config = _config(opt_in, "northwind")
    assert config["types"] == [t.value for t in CONSENT_TYPES]  # pinned in test_rule_parameters
    assert config["gcm"] == {
        "necessary": ["security_storage"],
        "preference": ["functionality_storage", "personalization_storage"],
        "statistics": ["analytics_storage"],
        "marketing": ["ad_storage", "ad_user_data", "ad_personalization"],
    }
    assert config["wait"] == 500
    assert config["exempt"] == []
    assert _config(opt_in, "bluewave")["gcm"] == {
        "necessary": ["security_storage"],
        "preference": ["functionality_storage", "personalization_storage"],
    }


def test_banner_script_names_the_exempt_categories_under_duaa(duaa: TestClient) -> None:
    """Under duaa_exemptions the script is told which categories it sets without consent."""
    assert _config(duaa, "northwind")["exempt"] == ["preference", "statistics"]
    assert _config(duaa, "harbour")["exempt"] == []  # its mode is the default, opt_in


def _cookie_box(page: str, category: str) -> str:
    start = page.index(f'name="cookie:{category}"')
    return page[start : page.index(">", start)]


def test_privacy_center_shows_exempt_categories_on_until_objected(duaa: TestClient) -> None:
    """The preference center ticks the exempt categories and says they are on until a choice."""
    page = duaa.get(f"/p/northwind/preferences?visitor={VISITOR}").text
    assert "checked" in _cookie_box(page, "statistics")
    assert "checked" not in _cookie_box(page, "marketing")
    assert "not chosen yet (on until you choose)" in page


def test_privacy_center_leaves_every_category_off_under_opt_in(opt_in: TestClient) -> None:
    """Under opt_in the preference center ticks no cookie category before a choice."""
    page = opt_in.get(f"/p/northwind/preferences?visitor={VISITOR}").text
    assert "checked" not in _cookie_box(page, "statistics")
    assert "checked" not in _cookie_box(page, "preference")
