#!/usr/bin/env bash
# Security scan gate: checkov over every synthesized stack, for the default configuration and for
# examples/full-featured.json, and over the server's Dockerfile. Zero failed checks, or it fails.
# Skipped checks and their reasons live in .checkov.yaml. checkov gets its own virtualenv
# (.venv-checkov): it pins packaging<24, which the project's dependencies cannot share.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION="3.3.30"
venv=".venv-checkov"
if [ ! -x "$venv/bin/checkov" ] || [ "$("$venv/bin/checkov" --version)" != "$CHECKOV_VERSION" ]; then
  echo "scan: installing checkov $CHECKOV_VERSION into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
pipenv run python main.py --outdir "$out/default"
pipenv run python main.py --config examples/full-featured.json --outdir "$out/full-featured"

status=0
for configuration in default full-featured; do
  echo "scan: terraform_json, $configuration configuration"
  "$venv/bin/checkov" --config-file .checkov.yaml --framework terraform_json -d "$out/$configuration/stacks" || status=1
done
echo "scan: dockerfile"
"$venv/bin/checkov" --config-file .checkov.yaml --framework dockerfile -f server/Dockerfile || status=1
exit "$status"
