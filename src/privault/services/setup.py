"""Setting up a deployment: write a starter manifest, apply the manifest to the database."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from privault.core.manifest import Manifest, parse_manifest
from privault.crypto.keyring import Keyring
from privault.errors import Conflict, InvalidInput
from privault.services.audit import Entry, checkpoint, record
from privault.services.deps import Deps
from privault.services.keys import ensure_tenant_keys, require_keys
from privault.services.notices import PublishedNotice, publish_notice
from privault.services.tenants import bind_tenant, sync_tenants

TEMPLATES = ("contact-centre",)


def template_text(name: str) -> str:
    """The text of a bundled manifest template."""
    if name not in TEMPLATES:
        raise InvalidInput(f"unknown template '{name}' (available: {', '.join(TEMPLATES)})")
    return resources.files("privault").joinpath(f"templates/{name}.yaml").read_text("utf-8")


def write_template(directory: Path, name: str = "contact-centre", *, force: bool = False) -> Path:
    """Write ``privault.yaml`` from a template into ``directory``; refuse to overwrite unless forced."""
    text = template_text(name)
    parse_manifest(text, f"{name}.yaml")  # a template that does not validate is a bug
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "privault.yaml"
    if target.exists() and not force:
        raise Conflict(f"{target} already exists (use --force to overwrite)")
    target.write_text(text, encoding="utf-8")
    return target


def write_keys(manifest: Manifest, keyring: Keyring) -> list[str]:
    """Create keys for every tenant of the manifest that has none; return the tenants given keys."""
    return [t.key for t in manifest.tenants if keyring.ensure_tenant(t.key)]


@dataclass(frozen=True, slots=True)
class AppliedManifest:
    """What applying the manifest did."""

    tenants: list[str]
    notices: dict[str, PublishedNotice]
    new_keys: list[str]


def apply_manifest(deps: Deps, actor: str = "system") -> AppliedManifest:
    """Check every tenant's keys (nothing is written if one fails: ``services.keys``), sync
    ``deps.manifest``'s tenants, create missing keys, publish every tenant's notice where its
    content changed, and take a signed audit checkpoint per tenant. Each step is audited."""
    make_uow, clock = deps.make_uow, deps.clock
    require_keys(deps)
    tenants = [t.key for t in sync_tenants(deps)]
    notices, new_keys = {}, []
    for key in tenants:
        if ensure_tenant_keys(deps, key, actor):
            new_keys.append(key)
        notices[key] = publish_notice(deps, key, actor)
        with make_uow() as uow:
            bind_tenant(uow, key)
            record(
                uow, [Entry(actor, "config:manifest:apply", details={"tenant": key})], clock.now()
            )
            uow.commit()
        checkpoint(deps, key, actor)
    return AppliedManifest(tenants, notices, new_keys)
