"""The manifest: the template validates; each kind of mistake is reported precisely, all at once."""

from __future__ import annotations

import json

import pytest

from privault.core.manifest import parse_manifest
from privault.core.manifest.resolve import category_sensitivity, tenant_view
from privault.core.taxonomy import Sensitivity
from privault.errors import ManifestInvalid, NotFound
from privault.services.manifest import manifest_schema


def _line_of(text: str, needle: str) -> int:
    """1-based line of the first occurrence of ``needle``."""
    index = text.index(needle)
    return text.count("\n", 0, index) + 1


def _issues(text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest(text, "privault.yaml")
    return [(i.line, i.message, i.hint) for i in caught.value.issues]


def test_the_template_is_valid(manifest) -> None:
    """The bundled contact-centre template passes every check."""
    assert len(manifest.tenants) >= 2
    assert any(t.role == "processor" and t.client for t in manifest.tenants)


# Each case: (text to replace, replacement, text on the offending line, words expected).
BREAKAGES = [
    (
        "categories: [user.name, user.contact, cc.account.number",
        "categories: [user.name, user.contact.emial, cc.account.number",
        "user.contact.emial",
        ("unknown data category 'user.contact.emial'", "did you mean 'user.contact.email'"),
    ),
    (
        "    data_use: essential.service.payment_processing\n    lawful_basis: contract\n",
        "    data_use: essential.service.payment_processing\n",
        "  - key: billing\n",
        ("purpose 'billing' has no lawful basis", "lawful_basis"),
    ),
    (
        "    kind: marketing\n    opt_out: true\n    lawful_basis: legitimate_interests",
        "    kind: marketing\n    opt_out: false\n    lawful_basis: legitimate_interests",
        "opt_out: false",
        ("marketing purpose 'marketing-email' cannot be opted out of", "opt_out: true"),
    ),
    (
        "    type: processor\n    purposes: [billing]",
        "    type: processor\n    purposes: [biling]",
        "purposes: [biling]",
        ("unknown purpose 'biling'", "did you mean 'billing'"),
    ),
    (
        "    jurisdictions: [us, us-ca, ca]",
        "    jurisdictions: [us, us-cal, ca]",
        "us-cal",
        ("unknown jurisdiction 'us-cal'", "did you mean 'us-ca'"),
    ),
    (
        "    name: Customer service\n",
        "    name: Customer service\n    lawfull_basis: contract\n",
        "lawfull_basis",
        ("unknown field 'lawfull_basis'", "did you mean 'lawful_basis'"),
    ),
]


@pytest.mark.parametrize(("old", "new", "marker", "words"), BREAKAGES)
def test_each_breakage_is_reported_at_its_line(template, old, new, marker, words) -> None:
    """A single mistake yields one issue naming the right line, with a hint."""
    assert old in template
    broken = template.replace(old, new, 1)
    issues = _issues(broken)
    assert len(issues) == 1, issues
    line, message, hint = issues[0]
    assert line == _line_of(broken, marker)
    assert words[0] in message
    assert words[1] in hint


def test_five_breakages_at_once_give_five_errors(template) -> None:
    """Every problem is reported in one run, none hidden by another."""
    broken = template
    for old, new, _, _ in BREAKAGES[:5]:
        broken = broken.replace(old, new, 1)
    issues = _issues(broken)
    assert len(issues) == 5
    assert [line for line, _, _ in issues] == sorted(line for line, _, _ in issues)


def test_yaml_syntax_errors_name_their_line() -> None:
    """Broken YAML is one issue with the line of the fault."""
    issues = _issues("organization:\n  name: x\n  bad: [unclosed\ntenants: []\n")
    assert len(issues) == 1
    assert issues[0][1].startswith("not valid YAML")
    assert issues[0][0] in (3, 4)


def test_duplicate_yaml_keys_are_refused() -> None:
    """A key given twice in one mapping is an error, not a silent override."""
    issues = _issues("organization: {name: a}\norganization: {name: b}\n")
    assert "appears twice" in issues[0][1]
    assert issues[0][0] == 2


def test_a_pre_ticked_cookie_category_is_refused(template) -> None:
    """Only necessary cookies may default to on (GDPR Recital 32)."""
    text = template.replace("  - key: statistics\n", "  - key: statistics\n    default: true\n", 1)
    issues = _issues(text)
    assert any("pre-ticked" in message for _, message, _ in issues)


def test_special_category_without_condition_is_refused(template) -> None:
    """Health data needs an Art. 9(2) condition."""
    text = template.replace("special_category_condition: explicit_consent", "", 1)
    issues = _issues(text)
    assert any("without an Art. 9(2) condition" in m for _, m, _ in issues)


def test_an_override_cannot_weaken_the_law(template) -> None:
    """Health data cannot be made ordinary."""
    assert "\ncategory_overrides:" not in template
    text = (
        template
        + "\ncategory_overrides:\n  - {key: user.health_and_medical, sensitivity: ordinary}\n"
    )
    issues = _issues(text)
    assert any("cannot be made ordinary" in m for _, m, _ in issues)


def test_a_processor_tenant_needs_its_client(template) -> None:
    """A processor acts for a named controller."""
    block = (
        "    client:\n      name: Bluewave Communications, Inc.\n"
        '      contact: {name: Bluewave Privacy Office, email: privacy@bluewave.example, phone: "+1 888 555 0172"}\n'
    )
    assert block in template
    issues = _issues(template.replace(block, "", 1))
    assert any("names no client controller" in m for _, m, _ in issues)


def test_sensitivities(manifest) -> None:
    """Legal defaults hold and declared extensions keep their own."""
    assert category_sensitivity(manifest, "user.health_and_medical") is Sensitivity.SPECIAL
    assert category_sensitivity(manifest, "user.financial.credit_card") is Sensitivity.PAYMENT
    assert category_sensitivity(manifest, "cc.telecom.cpni") is Sensitivity.CPNI
    assert category_sensitivity(manifest, "user.contact.email") is Sensitivity.ORDINARY


def test_tenant_view_merges_policy_and_selects_library(manifest) -> None:
    """A tenant sees only the purposes it lists; its policy overrides the manifest's."""
    view = tenant_view(manifest, "bluewave")
    assert view.policy.contract_end_delete_days == 14
    assert view.policy.minor_age == 18
    assert view.purpose("recruitment") is None
    assert view.purpose("billing") is not None
    with pytest.raises(NotFound):
        tenant_view(manifest, "nobody")


def test_schema_is_json_schema_of_the_manifest() -> None:
    """The JSON Schema names every top-level section."""
    schema = manifest_schema()
    json.dumps(schema)
    assert {"tenants", "purposes", "recipients", "retention", "roles"} <= set(schema["properties"])


MINIMAL = """
organization: {name: Org}
policy: {contract_end_delete_days: 30, vendors_may_market: false}
purposes:
  - {key: care, name: Care, lawful_basis: contract, categories: [user.contact.email]}
tenants:
  - {key: t, name: T, contact: {email: p@t.example}, jurisdictions: [eu]}
"""


def _with(extra: str) -> str:
    return MINIMAL + extra


def test_the_minimal_manifest_is_valid() -> None:
    """The base of the cases below has no problem of its own."""
    parse_manifest(MINIMAL)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            MINIMAL
            + "category_overrides:\n  - {key: user.health_and_medical, sensitivity: children}\n",
            "cannot be made children",
        ),
        (
            MINIMAL.replace("categories: [user.contact.email]", "categories: [user.demographic]"),
            "covering",
        ),
        (
            MINIMAL.replace("lawful_basis: contract", "lawful_basis: legitimate_interests"),
            "without naming them",
        ),
        (
            MINIMAL.replace(
                "jurisdictions: [eu]}",
                "jurisdictions: [eu], policy: {contract_end_delete_days: 60}}",
            ),
            "looser than the organisation's promise",
        ),
        (
            MINIMAL
            + "recipients:\n  - {key: host, name: Host, type: processor, purposes: [care],"
            + " contract: {dpa: true, no_sale: true}}\n",
            "not bound against its own marketing",
        ),
    ],
)
def test_policy_and_sensitivity_rules(text: str, expected: str) -> None:
    """Each rule refuses what it must."""
    issues = _issues(text)
    assert any(expected in m for _, m, _ in issues), issues


def test_an_extension_under_religion_inherits_the_explicit_consent_rule() -> None:
    """A category declared under religious belief is special and needs explicit consent."""
    text = MINIMAL.replace("categories: [user.contact.email]", "categories: [cc.faith]")
    text = text.replace(
        "lawful_basis: contract,", "lawful_basis: contract, special_category_condition: employment,"
    )
    text += "data_categories:\n  - {key: cc.faith, name: Faith, parent: user.demographic.religious_belief}\n"
    issues = _issues(text)
    assert [m for _, m, _ in issues] == [
        "'cc.faith' may be used only with explicit consent (policy: race, religion, politics)"
    ]


def test_yes_no_on_off_stay_strings() -> None:
    """YAML 1.2 booleans: Norway's code 'NO' stays a country, 'true' is still a boolean."""
    from privault.core.manifest.positions import load_with_positions

    data, _ = load_with_positions("countries: [NO, yes, on]\nflag: true\n")
    assert data == {"countries": ["NO", "yes", "on"], "flag": True}
