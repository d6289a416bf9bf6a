"""Opening a subject's data key: unwrap it with the tenant's key-encryption key, bound to its place."""

from __future__ import annotations

from privault.core.records import SubjectRecord
from privault.crypto.envelope import SubjectCipher, data_key_aad
from privault.crypto.keyring import Keyring
from privault.errors import NotFound


def subject_cipher(
    keyring: Keyring, tenant_key: str, tenant_id: int, subject: SubjectRecord
) -> SubjectCipher:
    """The cipher of a live subject's values; NotFound if the subject was erased (key destroyed)."""
    if subject.wrapped_key is None:
        raise NotFound("the subject was erased", code="subject.unknown")
    aad = data_key_aad(tenant_id, subject.uid, subject.key_version)
    key = keyring.unwrap(tenant_key, subject.kek_version, subject.wrapped_key, aad)
    return SubjectCipher(key, tenant_id, subject.uid, subject.key_version)
