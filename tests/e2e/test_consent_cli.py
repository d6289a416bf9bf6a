"""Consent, decisions and suppression from the command line (both engines)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def customers(cli, tmp_path: Path):
    """The schema, the manifest applied, and three bluewave customers imported."""
    assert cli("db", "upgrade")[0] == 0
    assert cli("manifest", "apply")[0] == 0
    lines = [
        {
            "subject": f"c-{n}",
            "identities": {"email": f"c{n}@example.com", "phone": f"+1415555020{n}"},
            "data": {"user.name": f"C {n}"},
            "source": "direct",
            "purpose": "customer-service",
        }
        for n in (1, 2, 3)
    ]
    path = tmp_path / "customers.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    assert cli("subjects", "import", str(path), "--tenant", "bluewave")[0] == 0
    return cli


def test_decide_says_why_and_exits_10_when_denied(customers) -> None:
    """No consent: denied with POL-CONS-3; after an agent records consent: allowed with the event."""
    code, out, _ = customers(
        "decide", "--tenant", "bluewave", "--subject", "c-1", "--purpose", "marketing-sms"
    )
    assert code == 10
    assert out.startswith("denied")
    assert "POL-CONS-3" in out
    code, out, err = customers(
        "consent", "record", "--tenant", "bluewave", "--subject", "c-1",
        "--grant", "purpose:marketing-sms", "--method", "agent", "--channel", "phone",
        "--agent", "agent-9", "--call-id", "call-1",
    )  # fmt: skip
    assert code == 0, err
    assert "event 1: purpose:marketing-sms granted" in out
    code, out, _ = customers(
        "decide", "--tenant", "bluewave", "--subject", "c-1", "--purpose", "marketing-sms"
    )
    assert code == 0
    assert "consent_event:1" in out


def test_suppression_export_lists_opt_outs_with_their_rule(customers, tmp_path: Path) -> None:
    """A phone opt-out and an objection are on the phone list; a plain customer is not."""
    customers(
        "consent", "record", "--tenant", "bluewave", "--subject", "c-1",
        "--withdraw", "marketing:*:phone", "--method", "ivr", "--channel", "ivr", "--call-id", "call-2",
    )  # fmt: skip
    customers(
        "consent", "record", "--tenant", "bluewave", "--subject", "c-2",
        "--withdraw", "objection:marketing", "--method", "request", "--channel", "email",
    )  # fmt: skip
    target = tmp_path / "dnc.csv"
    code, _, err = customers(
        "suppression", "export", "--tenant", "bluewave", "--channel", "phone", "-o", str(target)
    )
    assert code == 0, err
    lines = target.read_text().splitlines()
    assert lines[0] == "value,subject,rule,since"
    rows = sorted(tuple(line.split(",")[:3]) for line in lines[1:])
    assert rows == [("+14155550201", "c-1", "CANSPAM-1"), ("+14155550202", "c-2", "POL-OBJ-1")]


def test_show_history_and_rebuild(customers) -> None:
    """The state names the event behind each topic; a rebuild from the ledger finds no difference."""
    customers(
        "consent", "record", "--tenant", "bluewave", "--subject", "c-3",
        "--grant", "cpni:*", "--method", "agent", "--channel", "agent_desktop",
        "--agent", "a-1", "--call-id", "call-3", "--evidence", "mode=opt_in",
    )  # fmt: skip
    code, out, _ = customers("consent", "show", "--tenant", "bluewave", "--subject", "c-3")
    assert code == 0
    assert "cpni:*: granted by event 1" in out
    code, out, _ = customers("consent", "history", "--tenant", "bluewave", "--subject", "c-3")
    assert "agent a-1, call call-3" in out
    code, out, _ = customers("consent", "rebuild", "--tenant", "bluewave", "--check")
    assert code == 0
    assert "0 differing" in out


def test_bad_choices_are_clear_errors(customers) -> None:
    """A grant through the reject method, and a malformed topic, are refused with a message."""
    code, _, err = customers(
        "consent", "record", "--tenant", "bluewave", "--subject", "c-1",
        "--grant", "purpose:marketing-sms", "--method", "reject", "--channel", "web",
    )  # fmt: skip
    assert code == 2
    assert "can only withdraw" in err
    code, _, err = customers(
        "consent", "record", "--tenant", "bluewave", "--subject", "c-1",
        "--grant", "nonsense", "--method", "form", "--channel", "web",
    )  # fmt: skip
    assert code == 2
    assert "kind:scope" in err


def test_unsubscribe_link_prints_the_rfc_8058_headers(customers) -> None:
    """The link starts with the public URL and comes with List-Unsubscribe-Post."""
    code, out, _ = customers(
        "consent", "unsubscribe-link", "--tenant", "bluewave", "--subject", "c-1",
        "--brand", "tidal-prepaid",
    )  # fmt: skip
    assert code == 0
    assert out.startswith("http://127.0.0.1:8000/u/")
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in out


def test_object_and_restrict_a_billing_run(customers, tmp_path: Path) -> None:
    """'consent object' and 'consent restrict' (from a file of refs) change the decision; lift undoes."""
    code, out, _ = customers("consent", "object", "--tenant", "bluewave", "--subject", "c-1")
    assert code == 0
    assert "objection to marketing recorded" in out
    run = tmp_path / "run.txt"
    run.write_text("c-2\nc-3\n")
    code, out, err = customers(
        "consent", "restrict", "--tenant", "bluewave", "--subjects-file", str(run),
        "--purpose", "billing", "--reference", "billing-run:2026-03",
    )  # fmt: skip
    assert code == 0, err
    assert "restricted 2 subject(s) for billing" in out
    code, out, _ = customers(
        "decide", "--tenant", "bluewave", "--subject", "c-3", "--purpose", "billing"
    )
    assert code == 10
    assert "POL-RES-1" in out
    customers(
        "consent", "restrict", "--tenant", "bluewave", "--subject", "c-3", "--purpose", "billing",
        "--lift",
    )  # fmt: skip
    code, _, _ = customers(
        "decide", "--tenant", "bluewave", "--subject", "c-3", "--purpose", "billing"
    )
    assert code == 0


def test_import_keeps_original_times_and_reports_bad_lines(customers, tmp_path: Path) -> None:
    """Good records import with their own time; each bad line is named; the rest still import."""
    lines = [
        {"subject": "c-1", "at": "2025-05-01T10:00:00+00:00", "method": "form", "channel": "web",
         "choices": [{"kind": "purpose", "scope": "marketing-sms", "granted": True}]},
        "{not json",
        {"subject": "nobody", "at": "2025-05-01T10:00:00+00:00",
         "choices": [{"kind": "purpose", "scope": "marketing-sms", "granted": True}]},
        {"subject": "c-1", "at": "2099-01-01T00:00:00+00:00",
         "choices": [{"kind": "purpose", "scope": "marketing-sms", "granted": False}]},
        {"subject": "c-2", "at": "2025-06-01T08:00:00", "choices": [{"kind": "cpni", "scope": "*", "granted": True}]},
        {"subject": "c-2", "at": "2025-06-02T08:00:00+00:00", "method": "unsubscribe", "channel": "email",
         "choices": [{"kind": "marketing", "scope": "*:email", "granted": False}]},
    ]  # fmt: skip
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    code, out, err = customers("consent", "import", str(path), "--tenant", "bluewave")
    assert code == 1
    assert "imported 2 records (2 events)" in out
    assert "line 2: not valid JSON" in err
    assert "line 3: no subject 'nobody'" in err
    assert "line 4: 'at' is in the future" in err
    assert "line 5: at:" in err  # a time without its zone
    code, out, _ = customers("consent", "history", "--tenant", "bluewave", "--subject", "c-1")
    assert out.startswith("2025-05-01T10:00:00+00:00 event")
    code, out, _ = customers(
        "decide", "--tenant", "bluewave", "--subject", "c-2", "--purpose", "marketing-email"
    )
    assert code == 10
    assert "CANSPAM-1" in out
    code, out, _ = customers("consent", "rebuild", "--tenant", "bluewave", "--check")
    assert code == 0


def test_check_message_passes_a_sent_message_signed_over_both_headers(
    customers, tmp_path: Path
) -> None:
    """The headers privault prints, signed by the mail server over both, pass; unsigned they fail.

    The test server's public URL is plain HTTP, which RFC 8058 refuses; a production URL is HTTPS.
    """
    code, out, _ = customers(
        "consent", "unsubscribe-link", "--tenant", "bluewave", "--subject", "c-1",
    )  # fmt: skip
    assert code == 0
    headers = out.splitlines()[1:]
    signature = "DKIM-Signature: v=1; d=bluewave.example; h=from:list-unsubscribe:list-unsubscribe-post; b=x"
    sent = tmp_path / "sent.eml"
    sent.write_text("\r\n".join(["From: offers@bluewave.example", *headers, signature, "", "Hi"]))
    code, _, err = customers("consent", "check-message", str(sent))
    assert code == 1
    assert "mail.list_unsubscribe:" in err
    headers = [h.replace("http://", "https://") for h in headers]
    sent.write_text("\r\n".join(["From: offers@bluewave.example", *headers, signature, "", "Hi"]))
    code, out, err = customers("consent", "check-message", str(sent))
    assert code == 0, err
    assert "ok" in out
    sent.write_text("\r\n".join(["From: offers@bluewave.example", *headers, "", "Hi"]))
    code, _, err = customers("consent", "check-message", str(sent))
    assert code == 1
    assert "mail.dkim_missing" in err
