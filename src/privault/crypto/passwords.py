"""Staff passwords: Argon2id hashes (argon2-cffi, RFC 9106 low-memory parameters), checked in
constant-ish time whether or not the login exists."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

PARAMETERS = profiles.RFC_9106_LOW_MEMORY  # Argon2id, t=3, m=64 MiB, p=4
_HASHER = PasswordHasher.from_parameters(PARAMETERS)  # the test suite swaps in cheap parameters


def hash_password(password: str) -> str:
    """The stored form of a password (salted Argon2id, PHC string)."""
    return _HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """True if ``password`` matches the stored hash (a malformed hash never matches)."""
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True if the hash was made with other parameters than today's (rehash at the next login)."""
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


@cache
def _dummy_hash() -> str:
    return _HASHER.hash("privault: no such login, compare anyway")


def verify_nothing(password: str) -> None:
    """Spend the time a real check takes, for a login that does not exist (or cannot sign in), so
    that timing does not tell which usernames exist."""
    verify_password(_dummy_hash(), password)
