"""What the command-line entry points share (`python main.py`, `pipenv run export-hcl`).

The `--config FILE` option, loading that file into an InfraConfig with the errors a user reads,
and building the app with jsii's banner silenced. Nothing here imports jsii until `build_quiet_app`
is called: a bad configuration is reported in well under a second.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .config import PROJECT_ROOT, InfraConfig, InfraConfigError, load_infra_config
from .node_env import JSII_QUIET_ENV

if TYPE_CHECKING:
    from cdktf import App

#: Exit code for bad arguments or an invalid configuration (argparse's own code for usage errors).
EXIT_USAGE = 2


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, default=PROJECT_ROOT / "cdktf.json", help="JSON file with a context block"
    )


def load_cli_config(parser: argparse.ArgumentParser, config_file: Path) -> InfraConfig | None:
    """The configuration in `config_file`, or None after printing why it is invalid to stderr.

    A missing file is a usage error: the parser reports it and exits with EXIT_USAGE.
    """
    if not config_file.is_file():
        parser.error(f"--config {config_file}: no such file")
    try:
        return load_infra_config(config_file)
    except InfraConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def build_quiet_app(config: InfraConfig, outdir: str | None = None) -> App:
    """`stacks.app.build_app`, with jsii's end-of-life banner off unless the user set the variable."""
    for name, value in JSII_QUIET_ENV.items():
        os.environ.setdefault(name, value)
    from .app import build_app as build  # deferred: loads jsii and the provider bindings (~10 s)

    return build(config, outdir=outdir)
