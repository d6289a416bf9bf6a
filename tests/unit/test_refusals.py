"""What counts as a partial refusal of a fulfilled request, to be told how to appeal (issue #14)."""

from __future__ import annotations

from typing import Any

import pytest

from privault.services.fulfilment.answers import refused_something

KEPT = {"datastore": "shop", "collection": "orders", "code": "legal_obligation", "rows": 2}


@pytest.mark.parametrize(
    ("total", "refused"),
    [
        ({}, False),
        ({"retained": [KEPT]}, True),
        ({"vault": {"matched": True, "retained": [{"field": "user.name"}]}}, True),
        ({"held": True}, True),
        ({"not_erased": [{"datastore": "shop", "field": "notes", "rows": 1}]}, True),
        ({"withheld": 2, "vault": True}, True),  # an access package with [withheld] columns
        ({"vault": True, "rows": 3}, False),  # access: everything shown
        ({"retained": [{**KEPT, "code": "shared"}, {**KEPT, "code": "referenced"}]}, False),
        ({"exceptions_not_applied": [{"code": "internal_uses"}]}, False),  # erased after all
    ],
    ids=["nothing", "exception", "vault", "hold", "not-erased", "withheld", "access", "linked",
         "not-applied"],
)  # fmt: skip
def test_a_refusal_is_something_kept_by_an_exception_or_withheld(
    total: dict[str, Any], refused: bool
) -> None:
    """Kept under an exception or a hold, not erased or withheld: refused; shared or linked rows
    (their personal data erased) and exceptions a law did not allow: not."""
    assert refused_something(total) is refused
