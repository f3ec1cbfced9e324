"""Entry point: load InfraConfig, build the cdktf app and its stacks, synthesize Terraform JSON.

`python main.py` (or `cdktf synth`) writes cdktf.out/stacks/<stack>/cdk.tf.json for each stack,
configured by cdktf.json's context and MCP_STACK_* variables. `--config FILE` reads the context
from another file (e.g. examples/full-featured.json), `--outdir DIR` writes elsewhere.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from stacks.config import PROJECT_ROOT, InfraConfigError, load_infra_config
from stacks.node_env import JSII_QUIET_ENV


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config", type=Path, default=PROJECT_ROOT / "cdktf.json", help="JSON file with a context block"
    )
    parser.add_argument("--outdir", help="output directory (default: cdktf.out, or the cdktf CLI's)")
    args = parser.parse_args(argv)
    if not args.config.is_file():
        parser.error(f"--config {args.config}: no such file")

    # Validate first: the provider bindings take ~10 s to load, a typo should not.
    try:
        config = load_infra_config(args.config)
    except InfraConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    for name, value in JSII_QUIET_ENV.items():
        os.environ.setdefault(name, value)
    from stacks.app import build_app  # deferred: loads jsii and the bindings

    build_app(config, outdir=args.outdir).synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
