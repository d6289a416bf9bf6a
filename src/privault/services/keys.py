"""Key management: check that every tenant's keys are the ones its data was written with (fail
closed), create a tenant's keys, rotate its key-encryption key online."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidSignature

from privault.core.audit import checkpoint_message
from privault.core.ports import UnitOfWork
from privault.core.records import TenantRecord
from privault.crypto.envelope import DecryptionFailed, data_key_aad
from privault.crypto.keyring import Keyring
from privault.errors import ConfigurationError
from privault.services.audit import Entry, record
from privault.services.deps import Deps
from privault.services.tenants import bind_tenant


class KeyState(StrEnum):
    """The state of one tenant's keys (``privault keys check``)."""

    OK = "ok"
    NO_DATA = "no data yet"
    MISSING = "missing"
    UNREADABLE = "unreadable"
    WRONG_TENANT = "wrong tenant"
    MISMATCH = "fingerprint mismatch"
    PERMISSIONS = "permissions"


_STATES = {
    "keyring.missing": KeyState.MISSING,
    "keyring.unreadable": KeyState.UNREADABLE,
    "keyring.wrong_tenant": KeyState.WRONG_TENANT,
    "keyring.mismatch": KeyState.MISMATCH,
    "keyring.permissions": KeyState.PERMISSIONS,
}


@dataclass(frozen=True, slots=True)
class TenantKeys:
    """What the check found for one tenant."""

    tenant: str
    location: str
    state: KeyState
    problem: str = ""
    code: str = ""

    @property
    def ok(self) -> bool:
        """Whether privault may start with these keys."""
        return self.state in (KeyState.OK, KeyState.NO_DATA)


def check_keys(deps: Deps, *, record_fingerprints: bool = False) -> list[TenantKeys]:
    """The state of the keys of every tenant in the database or the manifest, by key.

    Writes nothing unless ``record_fingerprints``: then a tenant whose fingerprint is not yet
    stored gets it, once its keys are shown to open its data (start-up does this).
    """
    with deps.make_uow() as uow:
        rows = {r.key: r for r in uow.tenants.list()}
    keys = sorted(set(rows) | {t.key for t in deps.manifest.tenants})
    return [_check_tenant(deps, key, rows.get(key), record_fingerprints) for key in keys]


def require_keys(deps: Deps) -> None:
    """Raise ``ConfigurationError`` naming each tenant and key file that is not ok (start-up)."""
    bad = [k for k in check_keys(deps, record_fingerprints=True) if not k.ok]
    if bad:
        raise ConfigurationError("; ".join(k.problem for k in bad), code=bad[0].code)


def _check_tenant(deps: Deps, key: str, row: TenantRecord | None, save: bool) -> TenantKeys:
    where = deps.keyring.location(key)
    try:
        state = _verify(deps, key, row, save)
    except ConfigurationError as exc:
        state = _STATES.get(exc.code, KeyState.UNREADABLE)
        return TenantKeys(key, where, state, exc.message, exc.code)
    return TenantKeys(key, where, state)


def _verify(deps: Deps, key: str, row: TenantRecord | None, save: bool) -> KeyState:
    keyring = deps.keyring
    holds = row is not None and _holds_data(deps, row.id)
    if not keyring.has_keys(key):
        if holds:
            raise _missing(keyring, key)
        return KeyState.NO_DATA
    found = keyring.fingerprint(key)  # reads and checks the file: unreadable, tenant, mode
    if row is None:
        return KeyState.NO_DATA
    if row.key_fingerprint is not None and row.key_fingerprint != found:
        raise _mismatch(keyring, key, "the fingerprint stored in the database differs")
    if holds:
        _open_data(deps, key, row.id, signed=row.key_fingerprint is None)
    if save and row.key_fingerprint is None:
        _save_fingerprint(deps, row.id, found)
    return KeyState.OK if holds else KeyState.NO_DATA


def _holds_data(deps: Deps, tenant_id: int) -> bool:
    with deps.make_uow() as uow:
        return uow.tenants.holds_data(tenant_id)


def _open_data(deps: Deps, key: str, tenant_id: int, *, signed: bool) -> None:
    """Unwrap one subject's data key (the key-encryption keys are not in the fingerprint) and,
    when no fingerprint vouches for the signing key yet, check the newest checkpoint's signature."""
    with deps.make_uow() as uow:
        uow.bind_tenant(tenant_id)
        _open_one_subject_key(uow, deps.keyring, key, tenant_id)
        if signed:
            _check_last_checkpoint(uow, deps.keyring, key)


def _open_one_subject_key(uow: UnitOfWork, keyring: Keyring, key: str, tenant_id: int) -> None:
    for subject in uow.subjects.to_rewrap(0, 0, 1):  # the first live subject with a data key
        assert subject.wrapped_key is not None  # noqa: S101 - to_rewrap selects live keys
        aad = data_key_aad(tenant_id, subject.uid, subject.key_version)
        try:
            keyring.unwrap(key, subject.kek_version, subject.wrapped_key, aad)
        except DecryptionFailed as exc:
            raise _mismatch(keyring, key, "they do not open the subjects' data keys") from exc


def _check_last_checkpoint(uow: UnitOfWork, keyring: Keyring, key: str) -> None:
    points = uow.audit.checkpoints()
    if not points:
        return
    last = points[-1]
    try:
        keyring.verify_key(key).verify(
            bytes.fromhex(last.signature), checkpoint_message(key, last.seq, last.hash)
        )
    except (InvalidSignature, ValueError) as exc:
        raise _mismatch(keyring, key, "they did not sign the audit checkpoints") from exc


def _save_fingerprint(deps: Deps, tenant_id: int, fingerprint: str) -> None:
    with deps.make_uow() as uow:
        uow.tenants.set_key_fingerprint(tenant_id, fingerprint)
        uow.commit()


def _missing(keyring: Keyring, key: str) -> ConfigurationError:
    return ConfigurationError(
        f"tenant '{key}' holds data but its key file {keyring.location(key)} is missing: restore "
        "it from the backup (privault never makes new keys for a tenant with data)",
        code="keyring.missing",
    )


def _mismatch(keyring: Keyring, key: str, why: str) -> ConfigurationError:
    return ConfigurationError(
        f"the keys in {keyring.location(key)} are not those tenant '{key}''s data was written "
        f"with ({why}): restore the tenant's own key file",
        code="keyring.mismatch",
    )


@dataclass(frozen=True, slots=True)
class Rotation:
    """What a rotation did."""

    tenant: str
    version: int
    rewrapped: int
    remaining: dict[int, int]


def ensure_tenant_keys(deps: Deps, tenant_key: str, actor: str) -> bool:
    """Create the tenant's keys if the keyring lacks them (audited, their fingerprint stored);
    True if created. A tenant that holds data never gets new keys: ``keyring.missing``."""
    keyring = deps.keyring
    if keyring.has_keys(tenant_key):
        return False
    with deps.make_uow() as uow:
        tenant = bind_tenant(uow, tenant_key)
        if uow.tenants.holds_data(tenant.id):
            raise _missing(keyring, tenant_key)
    if not keyring.ensure_tenant(tenant_key):
        return False
    with deps.make_uow() as uow:
        bind_tenant(uow, tenant_key)
        uow.tenants.set_key_fingerprint(tenant.id, keyring.fingerprint(tenant_key))
        record(uow, [Entry(actor, "keys:tenant:create")], deps.clock.now())
        uow.commit()
    return True


def rotate_keys(
    deps: Deps,
    tenant_key: str,
    actor: str,
    *,
    batch: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> Rotation:
    """Add a new key-encryption key version and re-wrap every subject key under it, in small
    transactions, while reads go on (old versions stay readable until nothing uses them)."""
    make_uow, keyring = deps.make_uow, deps.keyring
    with make_uow() as uow:
        tenant = bind_tenant(uow, tenant_key)
        total = sum(uow.subjects.count_by_kek_version().values())
    version = keyring.rotate(tenant_key)
    done, after = 0, 0
    while True:
        with make_uow() as uow:
            uow.bind_tenant(tenant.id)
            subjects = uow.subjects.to_rewrap(version, after, batch)
            if not subjects:
                break
            for subject in subjects:
                assert subject.wrapped_key is not None  # noqa: S101 - to_rewrap selects live keys
                aad = data_key_aad(tenant.id, subject.uid, subject.key_version)
                data_key = keyring.unwrap(tenant_key, subject.kek_version, subject.wrapped_key, aad)
                new_version, wrapped = keyring.wrap(tenant_key, data_key, aad)
                done += uow.subjects.rewrap(subject.id, subject.kek_version, new_version, wrapped)
            uow.commit()
            after = subjects[-1].id
        if progress is not None:
            progress(done, total)
    with make_uow() as uow:
        uow.bind_tenant(tenant.id)
        remaining = uow.subjects.count_by_kek_version()
        details = {"version": version, "rewrapped": done}
        record(uow, [Entry(actor, "keys:rotate", details=details)], deps.clock.now())
        uow.commit()
    return Rotation(tenant_key, version, done, remaining)
