#!/usr/bin/env bash
# Quickstart: set up, synthesize both stacks to cdktf.out/, then run the MCP server locally
# on http://127.0.0.1:8000/mcp (Ctrl-C stops it). No AWS account or credentials needed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "quickstart: synthesizing (pipenv run synth)"
pipenv run synth
for stack in cdktf.out/stacks/*/; do echo "  wrote ${stack}cdk.tf.json"; done

echo "quickstart: starting the MCP server (pipenv run serve) on http://127.0.0.1:${MCP_PORT:-8000}/mcp"
exec pipenv run serve
