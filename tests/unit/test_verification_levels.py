"""The CCPA verification levels (11 CCR §§7060-7062), pure: what each request needs and what the
evidence still lacks."""

from __future__ import annotations

import hashlib

import pytest

from privault.core.jurisdictions import Right
from privault.core.verification import (
    CATEGORIES,
    DECLARATION_SHA256,
    DECLARATION_TEXT,
    DELETE_ORDINARY,
    DELETE_SENSITIVE,
    PIECES,
    Degree,
    Evidence,
    point_names,
    requirement,
    shortfall,
)
from privault.errors import InvalidInput

TWO = frozenset({"email:a", "phone:b"})
THREE = TWO | {"postal_address"}


@pytest.mark.parametrize("right", [Right.ACCESS, Right.PORTABILITY])
def test_specific_pieces_need_a_reasonably_high_degree(right: Right) -> None:
    """Access and portability give specific pieces: three points and a declaration (§7062(c))."""
    assert requirement(right, sensitive=False) is PIECES
    assert PIECES.degree is Degree.REASONABLY_HIGH


def test_categories_only_need_a_reasonable_degree() -> None:
    """A request to know categories only needs two matched data points (§7062(b))."""
    assert requirement(Right.ACCESS, sensitive=True, categories=True) is CATEGORIES
    assert shortfall(CATEGORIES, Evidence(TWO)) is None


@pytest.mark.parametrize("right", [Right.ERASURE, Right.RECTIFICATION])
def test_deletion_and_correction_follow_the_sensitivity_of_the_data(right: Right) -> None:
    """Ordinary data: two points; sensitive data: three, no declaration (§7062(d))."""
    assert requirement(right, sensitive=False) is DELETE_ORDINARY
    assert requirement(right, sensitive=True) is DELETE_SENSITIVE
    assert shortfall(DELETE_SENSITIVE, Evidence(THREE)) is None
    assert shortfall(DELETE_SENSITIVE, Evidence(TWO)) is not None


@pytest.mark.parametrize(
    "right", [Right.OPT_OUT_SALE, Right.LIMIT_SENSITIVE, Right.APPEAL, Right.OBJECTION]
)
def test_rights_the_regulations_do_not_level_need_no_level(right: Right) -> None:
    """Opt-outs, limits and rights outside §7062 are left to the ordinary verification."""
    assert requirement(right, sensitive=True) is None


def test_three_points_without_a_declaration_do_not_give_specific_pieces() -> None:
    """The declaration is required on top of the three points; the shortfall says so."""
    missing = shortfall(PIECES, Evidence(THREE))
    assert missing is not None
    assert "declaration" in missing
    assert "data point" not in missing
    assert shortfall(PIECES, Evidence(THREE, declaration=True)) is None


def test_the_shortfall_counts_the_missing_points() -> None:
    """One matched point of three: two more, and the declaration."""
    missing = shortfall(PIECES, Evidence(frozenset({"email:a"})))
    assert missing is not None
    assert "2 more matched data point(s) (1 of 3)" in missing
    assert "11 CCR §7062(c)" in missing


def test_an_account_holder_is_verified_through_the_account() -> None:
    """Re-authenticated through their account, any level is met (§7061(a))."""
    assert shortfall(PIECES, Evidence(account=True)) is None


def test_staff_point_names_are_cleaned_and_counted_once() -> None:
    """Blank names are dropped; names differing in case or spaces count once."""
    assert point_names([" Postal_Address", "postal_address ", " ", "last_order"]) == frozenset(
        {"postal_address", "last_order"}
    )


@pytest.mark.parametrize("value", ["ana@example.com", "12 Main Street", "4111111111111111"])
def test_a_point_that_looks_like_a_value_is_refused(value: str) -> None:
    """Staff name the data point they matched; a value is refused rather than kept."""
    with pytest.raises(InvalidInput):
        point_names(["postal_address", value])


@pytest.mark.parametrize("name", ["email", "phone_number", "email.work"])
def test_an_identity_is_counted_by_its_code_not_by_staff(name: str) -> None:
    """Staff cannot add an email or phone as a point: it counts once, by its one-time code."""
    with pytest.raises(InvalidInput):
        point_names([name])


def test_the_declaration_is_under_penalty_of_perjury_and_hashed() -> None:
    """The statement names perjury and California; its hash is the one stored with it."""
    assert "penalty of perjury" in DECLARATION_TEXT
    assert "California" in DECLARATION_TEXT
    assert hashlib.sha256(DECLARATION_TEXT.encode()).hexdigest() == DECLARATION_SHA256


def test_the_levels_are_on_unless_turned_off(monkeypatch) -> None:
    """§7062 verification is the default; only an explicit setting verifies by code alone."""
    from privault.config import Settings

    monkeypatch.delenv("PRIVAULT_CCPA_VERIFICATION_LEVELS", raising=False)
    assert Settings().ccpa_verification_levels is True
    monkeypatch.setenv("PRIVAULT_CCPA_VERIFICATION_LEVELS", "false")
    assert Settings().ccpa_verification_levels is False
