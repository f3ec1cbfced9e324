#!/usr/bin/env bash
# Installs everything the project needs, from the lock files: pipenv, the Python virtualenv
# (runtime + dev tools), and the cdktf CLI. Safe to re-run; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PIPENV_VERSION="2026.10.3"

if ! command -v pipenv >/dev/null 2>&1 || [ "$(pipenv --version | awk '{print $3}')" != "$PIPENV_VERSION" ]; then
  echo "setup: installing pipenv $PIPENV_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check "pipenv==$PIPENV_VERSION"
fi

echo "setup: Python dependencies (Pipfile.lock, with dev tools)"
pipenv sync --dev

echo "setup: cdktf CLI (package-lock.json)"
npm ci --no-audit --no-fund --loglevel=error
