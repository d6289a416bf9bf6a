"""The embedded demo behind ``make run``: a manifest, a schema, tenants, notices and one admin key."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from privault.bootstrap import Container
from privault.errors import ConfigurationError, PrivaultError
from privault.services.api_keys import authenticate, create_api_key
from privault.services.setup import apply_manifest, write_template
from privault.storage import migrate

CREDENTIALS = "demo-credentials.txt"


@dataclass(frozen=True, slots=True)
class Demo:
    """Where the demo's admin credentials are."""

    tenant: str
    role: str
    token: str
    credentials_file: Path


def prepare_demo(container: Container) -> Demo:
    """Idempotent: only what is missing is created; an existing manifest is never overwritten."""
    settings = container.settings
    if not settings.manifest_path.exists():
        write_template(settings.manifest_path.parent)
    migrate.upgrade(container.engine)
    manifest = container.reload_manifest()
    apply_manifest(container.uow, manifest, container.keyring, container.clock)
    tenant = manifest.tenants[0].key
    role = next((r.key for r in manifest.roles if r.admin), None)
    if role is None:
        raise ConfigurationError("the demo needs a role with 'admin: true' in the manifest")
    path = settings.data_dir / CREDENTIALS
    token = _existing_token(container, path)
    if token is None:
        with container.uow() as uow:
            created = create_api_key(
                uow, manifest, tenant, role, name="demo admin", clock=container.clock
            )
        token = created.token.reveal()
        path.write_text(token + "\n", encoding="utf-8")
        os.chmod(path, 0o600)
    return Demo(tenant, role, token, path)


def _existing_token(container: Container, path: Path) -> str | None:
    if not path.exists():
        return None
    token = path.read_text(encoding="utf-8").strip()
    try:
        with container.uow() as uow:
            authenticate(uow, token, container.clock)
    except PrivaultError:
        return None
    return token
