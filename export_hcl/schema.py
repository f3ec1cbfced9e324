"""Which keys of a Terraform JSON object are nested blocks, and which are attributes.

Terraform's JSON syntax writes a nested block (`instance_refresh { ... }`) and an object-valued
attribute (`tags = { ... }`) the same way; only the provider's schema tells them apart. We ask
terraform itself (`terraform providers schema -json`) for the providers the stack requires.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Schema of one block: {"attributes": {...}, "block_types": {name: {"nesting_mode", "block"}}}.
Block = Mapping[str, Any]

#: Terraform's own resource has no provider schema: all its arguments are attributes.
_BUILTIN_RESOURCES = frozenset({"terraform_data", "null_resource"})
#: Provisioner arguments (local-exec, remote-exec, file) are attributes; `connection` is a block.
PROVISIONER = {"attributes": {}, "block_types": {"connection": {"nesting_mode": "single", "block": {}}}}


class SchemaError(RuntimeError):
    """terraform could not report the provider schemas (not installed, no provider, no mirror)."""


@dataclass(frozen=True)
class ProviderSchemas:
    """The `provider_schemas` object of `terraform providers schema -json`."""

    schemas: Mapping[str, Any]

    def _find(self, section: str, type_name: str) -> Block | None:
        for provider in self.schemas.values():
            found = provider.get(section, {}).get(type_name)
            if found is not None:
                return found["block"]
        return None

    def provider(self, local_name: str) -> Block | None:
        for source, provider in self.schemas.items():
            if source.rsplit("/", 1)[-1] == local_name:
                return provider["provider"]["block"]
        return None

    def block(self, kind: str, type_name: str) -> Block | None:
        """Schema of a `resource`, `data` or `ephemeral` type; None for terraform's built-ins."""
        section = {
            "resource": "resource_schemas",
            "data": "data_source_schemas",
            "ephemeral": "ephemeral_resource_schemas",
        }[kind]
        found = self._find(section, type_name)
        if found is None and type_name not in _BUILTIN_RESOURCES:
            raise SchemaError(f"no provider schema describes {kind} type {type_name!r}")
        return found


_CACHE: dict[str, ProviderSchemas] = {}
#: A directory where schemas are kept between runs (optional): reading them starts the provider,
#: seconds each time; the test suite points every export of a session at one directory.
CACHE_DIR_ENV = "EXPORT_HCL_SCHEMA_CACHE_DIR"


def load_schemas(required_providers: Mapping[str, Any], env: Mapping[str, str]) -> ProviderSchemas:
    """The schemas of exactly these providers (read once per process and CLI configuration, and
    once per `EXPORT_HCL_SCHEMA_CACHE_DIR` when that is set)."""
    key = json.dumps([required_providers, env.get("TF_CLI_CONFIG_FILE")], sort_keys=True)
    if key not in _CACHE:
        _CACHE[key] = _read_cached(required_providers, env, key)
    return _CACHE[key]


def _read_cached(required_providers: Mapping[str, Any], env: Mapping[str, str], key: str) -> ProviderSchemas:
    directory = env.get(CACHE_DIR_ENV)
    if not directory:
        return _read_schemas(required_providers, env)
    # The key: the providers' constraints (this project pins exact versions) and terraform's own
    # version, so a terraform upgrade reads the schemas again.
    version = _terraform(["version", "-json"], Path.cwd(), env).stdout
    digest = hashlib.sha256(json.dumps([key, version]).encode()).hexdigest()[:24]
    path = Path(directory) / f"{digest}.json"
    if path.is_file():
        return ProviderSchemas(json.loads(path.read_text()))
    schemas = _read_schemas(required_providers, env)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(f".{os.getpid()}.tmp")
    scratch.write_text(json.dumps(schemas.schemas))
    scratch.replace(path)  # atomic: a concurrent reader sees the whole file or none
    return schemas


def _terraform(args: list[str], cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(
            ["terraform", *args],
            cwd=cwd,
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except FileNotFoundError as error:
        raise SchemaError("terraform is not on PATH: export-hcl needs it") from error
    if result.returncode != 0:
        command = " ".join(args)
        raise SchemaError(f"terraform {command} failed while reading provider schemas:\n{result.stderr}")
    return result


def _read_schemas(required_providers: Mapping[str, Any], env: Mapping[str, str]) -> ProviderSchemas:
    """Initialize a scratch module that requires exactly these providers and read their schemas."""
    with tempfile.TemporaryDirectory(prefix="export-hcl-schema-") as scratch:
        module = Path(scratch)
        (module / "providers.tf.json").write_text(
            json.dumps({"terraform": {"required_providers": dict(required_providers)}})
        )
        _terraform(["init", "-input=false", "-no-color"], module, env)
        shown = _terraform(["providers", "schema", "-json"], module, env)
        return ProviderSchemas(json.loads(shown.stdout)["provider_schemas"])
