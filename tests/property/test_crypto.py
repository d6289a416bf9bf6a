"""Property tests of the vault's cryptography."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privault.core.identities import normalise
from privault.crypto.blind_index import blind_index
from privault.crypto.envelope import DecryptionFailed, SubjectCipher

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
KEY = os.urandom(32)


@given(JSON, st.text(min_size=1, max_size=40))
def test_open_seal_is_identity(value: object, field: str) -> None:
    """open(seal(x)) == x for any JSON value and field."""
    cipher = SubjectCipher(KEY, 1, "a" * 32, 1)
    assert cipher.open_value(field, cipher.seal_value(field, value)).reveal() == value


@settings(max_examples=50)
@given(
    st.text(),
    st.integers(min_value=1, max_value=3),
    st.sampled_from(["tenant", "subject", "field", "version"]),
)
def test_a_value_sealed_in_one_place_does_not_open_in_another(
    value: str, version: int, moved: str
) -> None:
    """Tenant, subject, field and key version are bound by the associated data."""
    cipher = SubjectCipher(KEY, 1, "s1", version)
    blob = cipher.seal_value("user.name", value)
    elsewhere = {
        "tenant": SubjectCipher(KEY, 2, "s1", version),
        "subject": SubjectCipher(KEY, 1, "s2", version),
        "field": cipher,
        "version": SubjectCipher(KEY, 1, "s1", version + 1),
    }[moved]
    with pytest.raises(DecryptionFailed):
        elsewhere.open_value("user.contact" if moved == "field" else "user.name", blob)


@given(st.binary(min_size=1, max_size=64))
def test_a_flipped_bit_does_not_open(noise: bytes) -> None:
    """Any change to a ciphertext is detected."""
    cipher = SubjectCipher(KEY, 1, "s", 1)
    blob = bytearray(cipher.seal_value("f", "value"))
    for i, b in enumerate(noise):
        blob[i % len(blob)] ^= b or 1
    with pytest.raises(DecryptionFailed):
        cipher.open_value("f", bytes(blob))


@given(st.from_regex(r"[a-z0-9.]{1,20}@[a-z0-9]{1,10}\.[a-z]{2,4}", fullmatch=True))
def test_email_case_and_spacing_do_not_change_the_index(email: str) -> None:
    """Equal emails, however written, give equal blind indexes."""
    key = os.urandom(32)
    assert blind_index(key, normalise("email", f"  {email.upper()} ")) == blind_index(
        key, normalise("email", email)
    )


@given(
    st.sampled_from(["US", "GB", "CA", "IN", "DE", "FR", "IT", "AU"]),
    st.integers(min_value=0, max_value=10**6),
)
def test_the_e164_fast_path_agrees_with_phonenumbers(region: str, seed: int) -> None:
    """A number already written in E.164 normalises to what full parsing gives."""
    import phonenumbers

    example = phonenumbers.example_number(region)
    assert example is not None
    national = str(example.national_number)
    varied = national[:-3] + f"{seed % 1000:03d}"
    parsed = phonenumbers.parse(f"+{example.country_code}{varied}", None)
    if example.italian_leading_zero:
        parsed.italian_leading_zero = True
    if not phonenumbers.is_possible_number(parsed):
        return
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    assert normalise("phone", e164) == e164
    national_text = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    assert normalise("phone", national_text, region) == e164


@given(st.text(), st.text(min_size=1, max_size=20), st.integers(min_value=1, max_value=9))
def test_the_cached_aad_is_the_documented_aad(value: str, field: str, version: int) -> None:
    """The cipher's associated data is exactly field_aad(...)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from privault.crypto.envelope import field_aad, open_sealed

    blob = SubjectCipher(KEY, 7, "abc", version).seal_value(field, value)
    plaintext = open_sealed(AESGCM(KEY), blob, field_aad(7, "abc", field, version))
    assert plaintext[1:].decode() == value
