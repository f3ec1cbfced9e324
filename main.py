"""Entry point: load InfraConfig, build the cdktf app and its stacks, synthesize Terraform JSON.

`python main.py` (or `cdktf synth`) writes cdktf.out/stacks/<stack>/cdk.tf.json for each stack.
"""

from __future__ import annotations

import os
import sys

# jsii warns on every run that Node.js 20 is past end of life; the advice is in the README, and
# the banner would bury real synth errors. Set the variable yourself to see it again.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from cdktf import App

from server.contract import MAIN_STACK_NAME, STATE_BACKEND_STACK_NAME
from stacks.config import InfraConfig, InfraConfigError, load_infra_config
from stacks.mcp_server_stack import McpServerStack
from stacks.state_backend_stack import StateBackendStack


def build_app(config: InfraConfig, outdir: str | None = None) -> App:
    """The app with both stacks; `outdir` defaults to cdktf's (cdktf.out, or the CLI's choice)."""
    app = App(outdir=outdir) if outdir else App()
    StateBackendStack(app, STATE_BACKEND_STACK_NAME, config)
    McpServerStack(app, MAIN_STACK_NAME, config)
    return app


def main() -> int:
    try:
        config = load_infra_config()
    except InfraConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    build_app(config).synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
