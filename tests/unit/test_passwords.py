"""Staff password hashing: production parameters, and what a hash looks like."""

from __future__ import annotations

from argon2 import Type, profiles

from privault.crypto import passwords


def test_production_parameters_are_rfc_9106_low_memory_argon2id() -> None:
    """t=3, m=64 MiB, p=4, Argon2id: the suite's cheap hasher never reaches the shipped constant."""
    assert passwords.PARAMETERS == profiles.RFC_9106_LOW_MEMORY
    assert passwords.PARAMETERS.type is Type.ID
    assert (passwords.PARAMETERS.time_cost, passwords.PARAMETERS.memory_cost) == (3, 65536)
    assert passwords.PARAMETERS.parallelism == 4


def test_a_hash_verifies_only_its_own_password() -> None:
    """The stored form is an Argon2id PHC string that matches the password and nothing else."""
    stored = passwords.hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, "correct horse battery staple")
    assert not passwords.verify_password(stored, "correct horse battery stapler")
    assert not passwords.verify_password("not a hash", "anything")
