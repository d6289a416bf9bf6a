"""The search scope of an access request as staff enter it (UK GDPR Art. 15(1A)): what is accepted
and what is refused."""

from __future__ import annotations

import pytest

from privault.core.search_scope import parse_left_out, scope_of
from privault.errors import InvalidInput


def test_a_scope_keeps_each_system_searched_once_and_each_left_out_with_its_reason() -> None:
    """Names trimmed and de-duplicated; reasons kept."""
    scope = scope_of(
        [" crm", "crm", "billing"], {"archive ": " tapes restored only on court order"}
    )
    assert scope.as_json() == {
        "searched": ["crm", "billing"],
        "left_out": [{"system": "archive", "why": "tapes restored only on court order"}],
    }


@pytest.mark.parametrize(
    ("searched", "left_out"),
    [
        ([], {}),
        (["crm"], {"crm": "searched already, twice"}),
        (["crm"], {"archive": "costly"}),
        ([f"s{n}" for n in range(51)], {}),
        (["x" * 101], {}),
    ],
)
def test_a_scope_without_systems_with_a_clash_or_a_short_reason_is_refused(
    searched: list[str], left_out: dict[str, str]
) -> None:
    """Nothing named, a system both ways, a reason under 10 characters, too many or too long."""
    with pytest.raises(InvalidInput) as caught:
        scope_of(searched, left_out)
    assert caught.value.code == "request.scope_invalid"


def test_left_out_systems_are_written_system_equals_why() -> None:
    """``archive=why`` parses; a pair without '=' is refused."""
    assert parse_left_out(["archive=too old = never indexed"]) == {
        "archive": "too old = never indexed"
    }
    with pytest.raises(InvalidInput):
        parse_left_out(["archive"])
