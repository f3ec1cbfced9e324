#!/usr/bin/env bash
# Installs everything the project needs, from the lock files: pipenv, the Python virtualenv
# (runtime + dev tools), and the cdktf CLI. Safe to re-run; it only installs what is missing.
#
# pipenv itself: a pipenv of the pinned version already on PATH is used as it is. Otherwise it goes
# into a small private virtualenv (like pipx does), linked from ~/.local/bin: this works where the
# system Python is "externally managed" (PEP 668: current Debian, Ubuntu, Homebrew), where a plain
# `pip install pipenv` is refused.
set -euo pipefail
cd "$(dirname "$0")/.."

PIPENV_VERSION="2026.10.3"
PYTHON="${PYTHON:-python3}"
TOOLS_VENV="${MCP_TOOLS_VENV:-$HOME/.local/share/mcp-server-amazon-ecs/tools}"
BIN_DIR="$HOME/.local/bin"

for tool in "$PYTHON" node npm terraform openssl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "setup: '$tool' is not on PATH; see README 'Quickstart' for the prerequisites" >&2
    exit 1
  fi
done

pipenv_ok() {
  command -v pipenv >/dev/null 2>&1 && [ "$(pipenv --version 2>/dev/null | awk '{print $3}')" = "$PIPENV_VERSION" ]
}

externally_managed() {
  "$PYTHON" - <<'EOF'
import os, sys, sysconfig
# PEP 668: the marker file next to the standard library, ignored inside a virtualenv.
marker = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
sys.exit(0 if os.path.exists(marker) and sys.prefix == sys.base_prefix else 1)
EOF
}

if ! pipenv_ok; then
  if ! externally_managed && "$PYTHON" -m pip --version >/dev/null 2>&1 && [ -w "$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')" ]; then
    echo "setup: installing pipenv $PIPENV_VERSION with pip"
    "$PYTHON" -m pip install --quiet --disable-pip-version-check "pipenv==$PIPENV_VERSION"
  else
    echo "setup: installing pipenv $PIPENV_VERSION into $TOOLS_VENV (linked from $BIN_DIR)"
    if [ ! -x "$TOOLS_VENV/bin/python" ]; then
      "$PYTHON" -m venv "$TOOLS_VENV" || {
        echo "setup: '$PYTHON -m venv' failed; on Debian/Ubuntu install it with: sudo apt install python3-venv" >&2
        exit 1
      }
    fi
    "$TOOLS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "pipenv==$PIPENV_VERSION"
    mkdir -p "$BIN_DIR"
    ln -sf "$TOOLS_VENV/bin/pipenv" "$BIN_DIR/pipenv"
    case ":$PATH:" in
      *":$BIN_DIR:"*) ;;
      *)
        export PATH="$BIN_DIR:$PATH"
        echo "setup: $BIN_DIR is not on your PATH; for the next commands run (or add to your shell profile):"
        echo "         export PATH=\"$BIN_DIR:\$PATH\""
        ;;
    esac
  fi
fi

# What the tests run besides Python and Node: Debian's Chromium (the browser tests drive it through
# Playwright; Playwright's own browser download cannot be used offline) and redis-server (a real
# Redis-protocol server for the fleet cache's tests; production runs ElastiCache for Valkey).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: the tests need ${missing[*]} on PATH; install them with your system's package manager" >&2
    exit 1
  fi
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
      echo "setup: the tests need ${missing[*]}; as root run: apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  echo "setup: installing ${missing[*]} (Debian packages)"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "setup: Python dependencies (Pipfile.lock, with dev tools)"
pipenv sync --dev

echo "setup: cdktf CLI (package-lock.json)"
npm ci --no-audit --no-fund --loglevel=error
