"""Reading and checking the manifest file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from privault.core.manifest import Manifest, parse_manifest
from privault.errors import ConfigurationError


def read_manifest(path: Path) -> Manifest:
    """Load and validate the manifest at ``path`` (raises ManifestInvalid with every problem)."""
    try:
        text = path.read_bytes()  # parse_manifest names the offset of any byte that is not UTF-8
    except FileNotFoundError as exc:
        raise ConfigurationError(
            f"no manifest at {path}: run 'privault init' or set PRIVAULT_MANIFEST",
            code="config.invalid",
        ) from exc
    return parse_manifest(text, str(path))


def manifest_schema() -> dict[str, Any]:
    """The JSON Schema of privault.yaml."""
    schema = Manifest.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "privault manifest (privault.yaml)"
    return schema


def manifest_schema_json() -> str:
    """The JSON Schema, pretty-printed."""
    return json.dumps(manifest_schema(), indent=2, sort_keys=True)
