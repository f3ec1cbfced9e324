#!/usr/bin/env bash
# Security scan gate, three passes of checkov, zero failed checks in each or it fails:
#   default  the default configuration's stacks and the server's Dockerfile, with the cost-aware
#            skips of .checkov.yaml (WAF, flow logs, customer keys... are opt-in there);
#   strict   examples/full-featured.json, where every protection is on, with .checkov-strict.yaml,
#            which skips only checks that cannot apply to this design;
#   oauth    examples/oauth.json (auth_mode oauth: Cognito, the state table, keys) with .checkov.yaml.
# Each skipped check carries its reason in those files. checkov gets its own virtualenv
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
pipenv run python main.py --config examples/oauth.json --outdir "$out/oauth"

status=0
echo "scan: default pass, terraform_json, default configuration (.checkov.yaml)"
"$venv/bin/checkov" --config-file .checkov.yaml --framework terraform_json -d "$out/default/stacks" || status=1
echo "scan: default pass, dockerfile (.checkov.yaml)"
"$venv/bin/checkov" --config-file .checkov.yaml --framework dockerfile -f server/Dockerfile || status=1
echo "scan: strict pass, terraform_json, full-featured configuration (.checkov-strict.yaml)"
"$venv/bin/checkov" --config-file .checkov-strict.yaml --framework terraform_json -d "$out/full-featured/stacks" || status=1
echo "scan: oauth pass, terraform_json, examples/oauth.json (.checkov.yaml)"
"$venv/bin/checkov" --config-file .checkov.yaml --framework terraform_json -d "$out/oauth/stacks" || status=1
exit "$status"
