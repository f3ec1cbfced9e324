#!/usr/bin/env bash
# Security scan gate, three passes of checkov, zero failed checks in each or it fails:
#   default  the default configuration's stacks and the server's Dockerfile, with the cost-aware
#            skips of .checkov.yaml (WAF, flow logs, customer keys... are opt-in there);
#   strict   examples/full-featured.json, where every protection is on, with .checkov-strict.yaml,
#            which skips only checks that cannot apply to this design;
#   oauth    examples/oauth.json (auth_mode oauth: Cognito, the state table, keys) with .checkov.yaml.
# Each skipped check carries its reason in those files. checkov gets its own virtualenv: it pins
# packaging<24, which the project's dependencies cannot share. It lives in the user's cache directory,
# one per checkov version, so every clone on the machine (and CI's next run) reuses it.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION="3.3.30"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/mcp-server-amazon-ecs/checkov-$CHECKOV_VERSION"
if [ ! -x "$venv/bin/checkov" ] || [ "$("$venv/bin/checkov" --version)" != "$CHECKOV_VERSION" ]; then
  echo "scan: installing checkov $CHECKOV_VERSION into $venv"
  python3 -m venv --clear "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# synth NAME [--config FILE]: prints the stacks directory of that configuration. With SCAN_SYNTH_FROM
# (CI sets it to the test session's synth cache, tests/synth_cache.py), the scan waits for the
# tests' own synth of that configuration, made from these very sources, instead of synthesizing again;
# if it does not come in time, it synthesizes itself.
synth() {
  local name=$1 stacks
  shift
  if [ -n "${SCAN_SYNTH_FROM:-}" ] && stacks=$(pipenv run python -m tests.synth_cache wait \
      "$SCAN_SYNTH_FROM" "$name" --timeout "${SCAN_SYNTH_WAIT_SECONDS:-900}"); then
    echo "scan: $name: the test session's synth" >&2
    echo "$stacks"
    return
  fi
  pipenv run python main.py "$@" --outdir "$out/$name" >&2
  echo "$out/$name/stacks"
}
default=$(synth default)
full_featured=$(synth full-featured --config examples/full-featured.json)
oauth=$(synth oauth --config examples/oauth.json)

status=0
echo "scan: default pass, terraform_json, default configuration (.checkov.yaml)"
"$venv/bin/checkov" --config-file .checkov.yaml --framework terraform_json -d "$default" || status=1
echo "scan: default pass, dockerfile (.checkov.yaml)"
"$venv/bin/checkov" --config-file .checkov.yaml --framework dockerfile -f server/Dockerfile || status=1
echo "scan: strict pass, terraform_json, full-featured configuration (.checkov-strict.yaml)"
"$venv/bin/checkov" --config-file .checkov-strict.yaml --framework terraform_json -d "$full_featured" || status=1
echo "scan: oauth pass, terraform_json, examples/oauth.json (.checkov.yaml)"
"$venv/bin/checkov" --config-file .checkov.yaml --framework terraform_json -d "$oauth" || status=1
exit "$status"
