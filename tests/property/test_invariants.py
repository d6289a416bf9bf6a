"""Property tests of the invariants the rest of the system leans on."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from privault.core.manifest.model import Period
from privault.core.manifest.positions import load_with_positions
from privault.core.secrets import Secret
from privault.core.taxonomy import Sensitivity, may_override, stricter
from privault.crypto.tokens import generate_api_key, secret_matches, split_api_key

UNITS = ["hour", "day", "business day", "week", "month", "year"]


@given(st.integers(min_value=0, max_value=10_000), st.sampled_from(UNITS))
def test_periods_print_and_parse_back(amount: int, unit: str) -> None:
    """str(Period.parse(text)) parses back to the same period."""
    period = Period(amount=amount, unit=unit)  # type: ignore[arg-type]
    assert Period.parse(str(period)) == period


@given(st.one_of(st.text(), st.integers(), st.binary()))
def test_secrets_never_print_their_value(value: object) -> None:
    """repr and str of a Secret are masked whatever it holds."""
    secret = Secret(value)
    assert repr(secret) == str(secret) == "Secret('**********')"
    assert secret.reveal() == value


@given(st.sampled_from(list(Sensitivity)), st.sampled_from(list(Sensitivity)))
def test_stricter_is_commutative_and_idempotent(a: Sensitivity, b: Sensitivity) -> None:
    """The stricter of two sensitivities does not depend on order."""
    assert stricter(a, b) == stricter(b, a)
    assert stricter(a, a) == a
    assert may_override(a, a)
    assert may_override(a, Sensitivity.SPECIAL)


@given(
    st.dictionaries(
        st.from_regex(r"[a-z]{1,8}", fullmatch=True), st.integers(), min_size=1, max_size=8
    )
)
def test_positions_point_at_each_key(mapping: dict[str, int]) -> None:
    """Each top-level value of a YAML mapping is located on its own line."""
    text = "".join(f"{k}: {v}\n" for k, v in mapping.items())
    data, positions = load_with_positions(text)
    assert data == mapping
    for line, key in enumerate(mapping, start=1):
        assert positions.locate((key,)).line == line
        assert positions.locate_key((key,)).column == 1


def test_api_keys_verify_only_their_own_secret() -> None:
    """A generated key splits into prefix and secret, and the secret matches only its hash."""
    first, second = generate_api_key(), generate_api_key()
    parts = split_api_key(first.token.reveal())
    assert parts is not None
    prefix, secret = parts
    assert prefix == first.prefix
    assert secret_matches(secret, first.secret_hash)
    assert not secret_matches(secret, second.secret_hash)
