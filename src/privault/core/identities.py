"""Identities in their canonical form: emails lower-cased, phones in E.164 (``phonenumbers``), other
kinds trimmed and case-folded. Pure: the blind index (``crypto/blind_index.py``), the vault, requests
and the privacy center's form all normalise through here."""

from __future__ import annotations

import re

import phonenumbers

from privault.errors import InvalidInput

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def normalise(kind: str, value: str, region: str | None = None) -> str:
    """The canonical form of an identity, or InvalidInput (the value is never echoed)."""
    if not _KIND.match(kind):
        raise InvalidInput("identity kinds are lower-case words such as email, phone, customer_id")
    text = value.strip()
    if kind == "email":
        if not _EMAIL.match(text):
            raise InvalidInput("an email identity is not a valid address", code="identity.invalid")
        return text.lower()
    if kind == "phone":
        return _phone(text, region)
    if not text:
        raise InvalidInput(f"the {kind} identity is empty", code="identity.invalid")
    return " ".join(text.split()).casefold()


_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_NATIONAL_ZERO_COUNTRIES = {
    39,
    225,
    242,
}  # a leading 0 after the country code is part of the number


def _already_e164(text: str) -> bool:
    """True for '+<country code><national number>' with no national trunk 0 (parsing costs ~40 us)."""
    if not _E164.match(text):
        return False
    for length in (1, 2, 3):
        code = int(text[1 : 1 + length])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return text[1 + length] != "0" or code in _NATIONAL_ZERO_COUNTRIES
    return False


def _phone(text: str, region: str | None) -> str:
    if _already_e164(text):
        return text
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(
            "a phone identity is not a phone number", code="identity.invalid"
        ) from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidInput("a phone identity is not a possible number", code="identity.invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_valid(kind: str, value: str, region: str | None = None) -> bool:
    """True when ``normalise`` accepts the value as an identity of ``kind``."""
    try:
        normalise(kind, value, region)
    except InvalidInput:
        return False
    return True
