"""The command line carries what the law asks of refusals, fees, search scopes and lifted
restrictions (GDPR Art. 12(5), 18(3); UK GDPR Art. 15(1A)), on both engines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

EMAIL = "ana.lima@example.com"


@pytest.fixture
def desk(cli, tmp_path: Path):
    """The schema, the manifest applied, Ana (with her e-mail) and Bo (none) in the vault."""
    assert cli("db", "upgrade")[0] == 0
    assert cli("manifest", "apply")[0] == 0
    lines = [
        {"subject": ref, "identities": identities, "data": {"user.name": ref},
         "source": "direct", "purpose": "customer-service"}
        for ref, identities in (("ana", {"email": EMAIL}), ("bo", {}))
    ]  # fmt: skip
    path = tmp_path / "people.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    assert cli("subjects", "import", str(path), "--tenant", "northwind")[0] == 0
    return cli


def _open(desk) -> str:
    code, out, err = desk(
        "requests", "open", "--tenant", "northwind", "--type", "access", "--email", EMAIL,
        "--jurisdiction", "uk",
    )  # fmt: skip
    assert code == 0, err
    found = re.search(r"R-[0-9A-Z]{8}", out)
    assert found, out
    return found.group(0)


def test_an_excessive_refusal_needs_its_evidence(desk) -> None:
    """Without --evidence: exit 2, request.evidence_missing; with it (and the earlier request): denied."""
    earlier, ref = _open(desk), _open(desk)
    deny = (
        "requests",
        "deny",
        ref,
        "--tenant",
        "northwind",
        "--code",
        "excessive",
        "--text",
        "No.",
    )
    code, _, err = desk(*deny)
    assert code == 2
    assert "request.evidence_missing" in err
    code, out, err = desk(
        *deny, "--evidence", "The third identical request this week.", "--prior-request", earlier
    )
    assert code == 0, err
    assert "denied (excessive)" in out


def test_a_pause_for_a_fee_states_the_fee(desk) -> None:
    """awaiting_fee with its amount, currency, costs and evidence; the requester is told the fee."""
    ref = _open(desk)
    code, _, err = desk(
        "requests", "pause", ref, "--tenant", "northwind", "--reason", "awaiting_fee",
        "--message", "the fee", "--fee", "12.5", "--currency", "GBP",
        "--fee-costs", "copying 400 pages", "--evidence", "A fifth copy of the same records.",
        "--fee-ground", "further_copies",
    )  # fmt: skip
    assert code == 0, err
    code, out, _ = desk("outbox", "--to", EMAIL, "--last", "50")
    assert "The fee is 12.50 GBP; it covers: copying 400 pages." in out


def test_the_search_scope_is_recorded(desk) -> None:
    """--searched and --left-out SYSTEM=WHY; a left-out system without '=' is exit 2."""
    ref = _open(desk)
    scope = ("requests", "scope", ref, "--tenant", "northwind", "--searched", "crm")
    code, out, err = desk(*scope, "--left-out", "paper-files=destroyed in 2019 under the schedule")
    assert code == 0, err
    assert "search scope recorded (1 searched, 1 left out)" in out
    code, out, _ = desk("requests", "show", ref, "--tenant", "northwind")
    assert "destroyed in 2019 under the schedule" in out
    code, _, err = desk(*scope, "--left-out", "paper-files")
    assert code == 2
    assert "request.scope_invalid" in err


def test_lifting_a_restriction_tells_the_person_or_says_how(desk) -> None:
    """Bo cannot be reached: exit 6 until --informed-otherwise says how he was told."""
    restrict = (
        "consent",
        "restrict",
        "--tenant",
        "northwind",
        "--subject",
        "ana",
        "--subject",
        "bo",
    )
    assert desk(*restrict)[0] == 0
    code, _, err = desk(*restrict, "--lift")
    assert code == 6
    assert "restriction.cannot_inform" in err
    code, out, err = desk(*restrict, "--lift", "--informed-otherwise", "letter posted 1 March")
    assert code == 0, err
    assert "lifted for 2 subject(s)" in out
    code, out, _ = desk("outbox", "--to", EMAIL, "--last", "50")
    assert "restriction" in out
