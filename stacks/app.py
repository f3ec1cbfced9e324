"""The cdktf app: both stacks, built from one InfraConfig."""

from __future__ import annotations

from cdktf import App

from server.contract import MAIN_STACK_NAME, STATE_BACKEND_STACK_NAME

from .config import InfraConfig
from .mcp_server_stack import McpServerStack
from .state_backend_stack import StateBackendStack


def build_app(config: InfraConfig, outdir: str | None = None) -> App:
    """The app with both stacks; `outdir` defaults to cdktf's (cdktf.out, or the CLI's choice)."""
    app = App(outdir=outdir) if outdir else App()
    StateBackendStack(app, STATE_BACKEND_STACK_NAME, config)
    McpServerStack(app, MAIN_STACK_NAME, config)
    return app
