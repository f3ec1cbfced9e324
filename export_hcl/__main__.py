"""`pipenv run export-hcl [--config FILE] OUTDIR`: each stack as a plain Terraform root module in HCL.

Synthesizes the app as `pipenv run synth` does (same configuration sources), then writes
OUTDIR/<stack>/*.tf, one file per construct, formatted by `terraform fmt`. Needs terraform on PATH
(it reports the provider schemas and formats the files). Exit codes: 0 written, 1 terraform
failed, 2 bad arguments or configuration.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from server.contract import MAIN_STACK_NAME, STATE_BACKEND_STACK_NAME
from stacks.cli import EXIT_USAGE, add_config_option, build_quiet_app, load_cli_config
from stacks.config import PROJECT_ROOT

from .convert import ConversionError
from .export import ExportedModule, export_stack, required_providers, terraform_fmt
from .schema import SchemaError, load_schemas
from .templates import TemplateError

STACKS = (STATE_BACKEND_STACK_NAME, MAIN_STACK_NAME)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="export-hcl", description=__doc__.splitlines()[0])
    add_config_option(parser)
    parser.add_argument(
        "--force", action="store_true", help="replace .tf files already in OUTDIR/<stack> (your edits too)"
    )
    parser.add_argument("outdir", type=Path, metavar="OUTDIR", help="directory for one module per stack")
    return parser


def _existing_tf_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.tf")) if directory.is_dir() else []


def export_app(
    synth_dir: Path, out_dir: Path, project_root: Path = PROJECT_ROOT, env: Mapping[str, str] | None = None
) -> list[ExportedModule]:
    """Export every stack under `synth_dir/stacks` to `out_dir/<stack>` and format it."""
    env = dict(os.environ if env is None else env)
    modules = []
    for stack_dir in sorted(p for p in (synth_dir / "stacks").iterdir() if p.is_dir()):
        synthesized = stack_dir / "cdk.tf.json"
        schemas = load_schemas(required_providers(synthesized), env)
        module = export_stack(synthesized, stack_dir.name, out_dir, project_root, schemas)
        terraform_fmt(module.directory, env)
        modules.append(module)
    return modules


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    config = load_cli_config(parser, args.config)
    if config is None:
        return EXIT_USAGE

    occupied = [p for s in STACKS for p in _existing_tf_files(args.outdir / s)]
    if occupied and not args.force:
        print(
            f"error: {args.outdir} already holds {', '.join(map(str, occupied[:3]))}...; "
            "choose an empty OUTDIR or pass --force to replace them",
            file=sys.stderr,
        )
        return EXIT_USAGE

    with tempfile.TemporaryDirectory(prefix="export-hcl-synth-") as scratch:
        build_quiet_app(config, outdir=scratch).synth()
        for path in occupied:
            path.unlink()
        try:
            modules = export_app(Path(scratch), args.outdir)
        except (SchemaError, ConversionError, TemplateError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        except subprocess.CalledProcessError as error:
            print(f"error: terraform fmt failed:\n{error.stderr}", file=sys.stderr)
            return 1

    for module in modules:
        print(f"{module.directory}: {len(module.files)} files, {module.lines} lines")
    print(
        "next: cd into a module, `terraform init`, `terraform plan` (expect no changes on a deployed stack)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
