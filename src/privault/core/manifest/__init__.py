"""The privacy-as-code manifest: its model, its loader with positions, and its checks."""

from privault.core.manifest.loader import parse_manifest
from privault.core.manifest.model import Manifest, Purpose, Tenant

__all__ = ["Manifest", "Purpose", "Tenant", "parse_manifest"]
