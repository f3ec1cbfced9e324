"""One synthesized stack (`cdk.tf.json`) written as a plain Terraform root module in HCL.

Besides the translation (convert.py), two things depend on where the module lives:
- relative paths: cdktf runs terraform in `cdktf.out/stacks/<stack>`, so the local state path and
  `${path.module}/...` in the image build point from there; they are re-pointed from the exported
  module's directory to the same files;
- the image build script is copied into the module (`scripts/push_image.sh`), so the module keeps
  building images after `stacks/` is gone. The build context stays the project checkout (server/,
  Pipfile, Pipfile.lock, .dockerignore), found relative to the module. The image tag, a content
  hash that cdktf recomputes at every synth, becomes `local.image_tag` (in image.tf): plain
  Terraform does not recompute it, so that is the value to change for a new image.
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .convert import convert, render
from .schema import ProviderSchemas

#: Where cdktf runs terraform, relative to the project root (cdktf.json has no "output" setting).
CDKTF_STACK_DIRS = Path("cdktf.out") / "stacks"
#: The build-and-push script of stacks/image.py, relative to the project root.
PUSH_SCRIPT = "stacks/scripts/push_image.sh"
MODULE_PUSH_SCRIPT = "scripts/push_image.sh"
_PATH_MODULE = "${path.module}/"


@dataclass(frozen=True)
class ExportedModule:
    stack: str
    directory: Path
    files: tuple[Path, ...]

    @property
    def lines(self) -> int:
        return sum(len(path.read_text().splitlines()) for path in self.files)


class Relocation:
    """Re-points paths that were relative to cdktf's stack directory to the exported module."""

    def __init__(self, project_root: Path, stack: str, module_dir: Path) -> None:
        self.old_dir = Path(os.path.abspath(project_root / CDKTF_STACK_DIRS / stack))
        self.new_dir = Path(os.path.abspath(module_dir))

    def path(self, relative: str) -> str:
        if posixpath.isabs(relative):
            return relative
        target = os.path.normpath(self.old_dir / relative)
        return Path(os.path.relpath(target, self.new_dir)).as_posix()

    def strings(self, raw: Any) -> Any:
        """Every `${path.module}/<relative path>` string, re-pointed."""
        if isinstance(raw, str) and raw.startswith(_PATH_MODULE):
            return _PATH_MODULE + self.path(raw.removeprefix(_PATH_MODULE))
        if isinstance(raw, list):
            return [self.strings(item) for item in raw]
        if isinstance(raw, dict):
            return {key: self.strings(item) for key, item in raw.items()}
        return raw

    def document(self, document: Mapping[str, Any]) -> dict[str, Any]:
        relocated = self.strings(document)
        local = relocated.get("terraform", {}).get("backend", {}).get("local")
        if local is not None and "path" in local:
            local["path"] = self.path(local["path"])
        return relocated


def _use_module_push_script(document: dict[str, Any]) -> bool:
    """Point the image build at the module's copy of the push script; True if there is one."""
    found = False
    for element in document.get("resource", {}).get("terraform_data", {}).values():
        for provisioner in element.get("provisioner", []):
            local_exec = provisioner.get("local-exec", {})
            if local_exec.get("command") == f"bash {PUSH_SCRIPT}":
                local_exec["command"] = f'bash "${{abspath(path.module)}}/{MODULE_PUSH_SCRIPT}"'
                found = True
    return found


def _image_tag_as_local(document: dict[str, Any]) -> bool:
    """The image tag (a content hash, repeated in the build, the task definition and an output)
    becomes one `local.image_tag`: the value to change when the image should be rebuilt."""
    builds = document.get("resource", {}).get("terraform_data", {}).values()
    tags = {
        provisioner["local-exec"]["environment"]["IMAGE_TAG"]
        for build in builds
        for provisioner in build.get("provisioner", [])
        if "IMAGE_TAG" in provisioner.get("local-exec", {}).get("environment", {})
    }
    if len(tags) != 1:
        return False
    (tag,) = tags

    def replace(raw: Any) -> Any:
        if isinstance(raw, str):
            return raw.replace(tag, "${local.image_tag}")
        if isinstance(raw, list):
            return [replace(item) for item in raw]
        if isinstance(raw, dict):
            return {key: replace(item) for key, item in raw.items()}
        return raw

    for kind in ("resource", "output"):
        if kind in document:
            document[kind] = replace(document[kind])
    document.setdefault("locals", {})["image_tag"] = tag
    return True


def _header(stack: str) -> Any:
    def header(name: str) -> str:
        origin = {
            "terraform": "terraform settings: required provider and state backend",
            "providers": "provider configuration",
            "outputs": "outputs",
            "main": "stack-wide lookups",
        }.get(name, f"construct {stack}/{name}")
        return f"# {origin} (exported from CDK for Terraform by `pipenv run export-hcl`)\n\n"

    return header


def export_stack(
    synthesized: Path, stack: str, out_dir: Path, project_root: Path, schemas: ProviderSchemas
) -> ExportedModule:
    """Write `out_dir/<stack>/*.tf` from `synthesized` (a cdk.tf.json); returns what was written."""
    module_dir = out_dir / stack
    document = Relocation(project_root, stack, module_dir).document(json.loads(synthesized.read_text()))
    builds_image = _use_module_push_script(document)
    _image_tag_as_local(document)
    module_dir.mkdir(parents=True, exist_ok=True)
    written = []
    files = convert(document, schemas, locals_file="image")
    for name, text in render(files, _header(stack)).items():
        path = module_dir / name
        path.write_text(text)
        written.append(path)
    if builds_image:
        script = module_dir / MODULE_PUSH_SCRIPT
        script.parent.mkdir(exist_ok=True)
        shutil.copy2(project_root / PUSH_SCRIPT, script)
    return ExportedModule(stack, module_dir, tuple(sorted(written)))


def terraform_fmt(directory: Path, env: Mapping[str, str]) -> None:
    """`terraform fmt` the module in place (python-hcl2 leaves alignment to it)."""
    subprocess.run(
        ["terraform", "fmt", "-list=false", "-no-color", str(directory)],
        env=dict(env),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


def required_providers(synthesized: Path) -> dict[str, Any]:
    return json.loads(synthesized.read_text()).get("terraform", {}).get("required_providers", {})
