"""`pipenv run export-hcl`: each synthesized stack as an HCL root module that terraform accepts.

Offline checks here (formatting, validation, completeness, paths, CLI errors); that the exported
module plans exactly like the JSON synth, against a deployed state and from an empty one, is shown
on emulated AWS in tests/deploy (test_deploy_lifecycle.py, test_full_featured_deploy.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hcl2
import pytest

from export_hcl.__main__ import export_app, main
from export_hcl.export import MODULE_PUSH_SCRIPT, PUSH_SCRIPT, ExportedModule
from server.contract import MAIN_STACK_NAME, STATE_BACKEND_STACK_NAME
from stacks.config import PROJECT_ROOT
from stacks.source_hash import image_source_hash
from tests.infra.conftest import Synth
from tests.terraform_cli import terraform, terraform_env

CONFIGURATIONS = ["default_synth", "full_synth"]
STACKS = [MAIN_STACK_NAME, STATE_BACKEND_STACK_NAME]


@pytest.fixture(scope="session")
def export(
    tmp_path_factory: pytest.TempPathFactory, terraform_cli_config: Path
) -> Callable[[Synth], dict[str, ExportedModule]]:
    """export(synth) -> {stack: module}, once per configuration per session."""
    cache: dict[Path, dict[str, ExportedModule]] = {}

    def run(synth: Synth) -> dict[str, ExportedModule]:
        if synth.outdir not in cache:
            out_dir = tmp_path_factory.mktemp("hcl")
            modules = export_app(synth.outdir, out_dir, env=terraform_env(terraform_cli_config))
            cache[synth.outdir] = {module.stack: module for module in modules}
        return cache[synth.outdir]

    return run


def parsed(module: ExportedModule) -> dict[str, list[Any]]:
    """All blocks of the module's files, by block type (python-hcl2's reading of the HCL)."""
    blocks: dict[str, list[Any]] = {}
    for path in module.files:
        for key, items in hcl2.loads(path.read_text()).items():
            if not key.startswith("__"):
                blocks.setdefault(key, []).extend(items)
    return blocks


def unquote(label: str) -> str:
    return label.strip('"')


def addresses(module: ExportedModule) -> set[str]:
    found = set()
    for kind in ("resource", "data", "ephemeral"):
        for block in parsed(module).get(kind, []):
            for type_name, named in block.items():
                for name in named:
                    prefix = "" if kind == "resource" else f"{kind}."
                    found.add(f"{prefix}{unquote(type_name)}.{unquote(name)}")
    return found


def json_addresses(document: dict[str, Any]) -> set[str]:
    return {
        f"{'' if kind == 'resource' else kind + '.'}{type_name}.{name}"
        for kind in ("resource", "data", "ephemeral")
        for type_name, named in document.get(kind, {}).items()
        for name in named
    }


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_exported_module_is_formatted_and_valid(
    configuration: str,
    stack: str,
    request: pytest.FixtureRequest,
    export: Callable[[Synth], dict[str, ExportedModule]],
    terraform_cli_config: Path,
) -> None:
    module = export(request.getfixturevalue(configuration))[stack]
    env = terraform_env(terraform_cli_config)
    assert (
        terraform(["fmt", "-check", "-recursive", "-diff"], module.directory, env, check=False).returncode
        == 0
    )
    terraform(["init", "-backend=false", "-input=false"], module.directory, env)
    assert "The configuration is valid" in terraform(["validate"], module.directory, env).stdout


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_every_resource_data_source_and_output_carries_over_without_cdktf_metadata(
    configuration: str, request: pytest.FixtureRequest, export: Callable[[Synth], dict[str, ExportedModule]]
) -> None:
    synth: Synth = request.getfixturevalue(configuration)
    for stack, module in export(synth).items():
        document = synth.document(stack)
        assert addresses(module) == json_addresses(document)
        outputs = {unquote(name) for block in parsed(module)["output"] for name in block}
        assert outputs == set(document["output"])
        text = "\n".join(path.read_text() for path in module.files)
        assert "uniqueId" not in text
        assert '"//"' not in text


def test_one_file_per_construct(
    default_synth: Synth, export: Callable[[Synth], dict[str, ExportedModule]]
) -> None:
    modules = export(default_synth)
    assert {path.name for path in modules[MAIN_STACK_NAME].files} == {
        f"{name}.tf"
        for name in (
            "terraform",
            "providers",
            "main",
            "network",
            "capacity",
            "image",
            "service",
            "load_balancer",
            "observability",
            "alarms",
            "dashboard",
            "outputs",
        )
    }
    assert {path.name for path in modules[STATE_BACKEND_STACK_NAME].files} == {
        "terraform.tf",
        "providers.tf",
        "main.tf",
        "state.tf",
        "outputs.tf",
    }


def test_json_documents_are_jsonencode_expressions_with_references(
    default_synth: Synth, export: Callable[[Synth], dict[str, ExportedModule]]
) -> None:
    directory = export(default_synth)[MAIN_STACK_NAME].directory
    service = (directory / "service.tf").read_text()
    assert "container_definitions = jsonencode([" in service
    assert "awslogs-group         = aws_cloudwatch_log_group.observability_log_group.name" in service
    assert "dashboard_body = jsonencode({" in (directory / "dashboard.tf").read_text()
    assert "policy = jsonencode({" in (directory / "image.tf").read_text()
    # No escaped JSON left anywhere.
    assert '\\"' not in "".join(p.read_text() for p in directory.glob("*.tf") if p.name != "image.tf")


def test_terraform_block_keeps_provider_pin_and_local_state_file(
    default_synth: Synth, export: Callable[[Synth], dict[str, ExportedModule]]
) -> None:
    for stack, module in export(default_synth).items():
        (settings,) = parsed(module)["terraform"]
        (providers,) = settings["required_providers"]
        assert providers["aws"] == {"source": '"aws"', "version": '"5.100.0"'}
        (backend,) = settings["backend"]
        path = unquote(backend['"local"']["path"])
        # terraform resolves it from the module directory: the same file cdktf uses.
        assert Path(os.path.normpath(module.directory / path)) == PROJECT_ROOT / f"terraform.{stack}.tfstate"


def test_s3_backend_is_carried_over_as_configured(
    variant_synth: Synth, export: Callable[[Synth], dict[str, ExportedModule]]
) -> None:
    module = export(variant_synth)[MAIN_STACK_NAME]
    (settings,) = parsed(module)["terraform"]
    (backend,) = settings["backend"]
    exported = {key: value for key, value in backend['"s3"'].items() if key != "__is_block__"}
    expected = variant_synth.document()["terraform"]["backend"]["s3"]
    assert exported == {key: json.dumps(v) if isinstance(v, str) else v for key, v in expected.items()}


def test_image_build_runs_the_module_copy_of_the_script_from_the_project_root(
    default_synth: Synth, export: Callable[[Synth], dict[str, ExportedModule]]
) -> None:
    module = export(default_synth)[MAIN_STACK_NAME]
    (build,) = [
        b['"terraform_data"']['"image_build"'] for b in parsed(module)["resource"] if '"terraform_data"' in b
    ]
    (provisioner,) = build["provisioner"]
    local_exec = provisioner['"local-exec"']
    assert local_exec["command"] == f'"bash \\"${{abspath(path.module)}}/{MODULE_PUSH_SCRIPT}\\""'
    working_dir = unquote(local_exec["working_dir"]).removeprefix("${path.module}/")
    assert Path(os.path.normpath(module.directory / working_dir)) == PROJECT_ROOT
    script = module.directory / MODULE_PUSH_SCRIPT
    assert script.read_text() == (PROJECT_ROOT / PUSH_SCRIPT).read_text()


def test_image_tag_is_one_local_value(
    default_synth: Synth, export: Callable[[Synth], dict[str, ExportedModule]]
) -> None:
    module = export(default_synth)[MAIN_STACK_NAME]
    tag = image_source_hash(PROJECT_ROOT)
    text = "".join(path.read_text() for path in module.files)
    assert text.count(tag) == 1
    assert f'image_tag = "{tag}"' in (module.directory / "image.tf").read_text()
    assert text.count("local.image_tag") == 4  # build trigger, build environment, container, output


def test_invalid_configuration_exits_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "cdktf.json"
    config.write_text(json.dumps({"context": {"name": "Not_Valid"}}))
    assert main(["--config", str(config), str(tmp_path / "out")]) == 2
    # The whole message: which key, where it is set, and what it must look like.
    assert capsys.readouterr().err.splitlines() == [
        "error: invalid infrastructure configuration:",
        "  - name (cdktf.json context 'name' or MCP_STACK_NAME): must be 2-20 characters of lower-case "
        "letters, digits and hyphens, start with a letter and not end with a hyphen (derived ALB/target "
        "group names are limited to 32)",
    ]
    assert not (tmp_path / "out").exists()


def test_refuses_to_overwrite_an_existing_module(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edited = tmp_path / MAIN_STACK_NAME / "service.tf"
    edited.parent.mkdir()
    edited.write_text("# my edits\n")
    assert main([str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert edited.read_text() == "# my edits\n"


def test_provider_schemas_are_read_once_per_cache_directory(
    tmp_path: Path, terraform_cli_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from export_hcl import schema

    providers = {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}
    cache_dir = tmp_path / "schemas"
    env = terraform_env(terraform_cli_config, {schema.CACHE_DIR_ENV: str(cache_dir)})
    monkeypatch.setattr(schema, "_CACHE", {})
    first = schema.load_schemas(providers, env)
    (cached,) = cache_dir.glob("*.json")
    assert first.block("resource", "aws_lb") is not None

    # A new process (empty in-memory cache) takes them from the directory: the provider is not
    # started again.
    monkeypatch.setattr(schema, "_CACHE", {})
    reads: list[object] = []
    monkeypatch.setattr(schema, "_read_schemas", lambda *args: reads.append(args))
    again = schema.load_schemas(providers, env)
    assert reads == []
    assert again.schemas == first.schemas
    assert json.loads(cached.read_text()) == first.schemas
