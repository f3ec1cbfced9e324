"""Entry point: load InfraConfig, build the cdktf app and its stacks, synthesize Terraform JSON.

`python main.py` (or `cdktf synth`) writes cdktf.out/stacks/<stack>/cdk.tf.json for each stack,
configured by cdktf.json's context and MCP_STACK_* variables. `--config FILE` reads the context
from another file (e.g. examples/full-featured.json), `--outdir DIR` writes elsewhere.
"""

from __future__ import annotations

import argparse
import sys

from stacks.cli import EXIT_USAGE, add_config_option, build_quiet_app, load_cli_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_config_option(parser)
    parser.add_argument("--outdir", help="output directory (default: cdktf.out, or the cdktf CLI's)")
    args = parser.parse_args(argv)
    # Validate first: the provider bindings take ~10 s to load, a typo should not.
    config = load_cli_config(parser, args.config)
    if config is None:
        return EXIT_USAGE
    build_quiet_app(config, outdir=args.outdir).synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
