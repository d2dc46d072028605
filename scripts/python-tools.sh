#!/usr/bin/env bash
# Installs the Python tools the tests use (moto server for AWS APIs, cfn-lint for templates)
# into a git-ignored virtualenv, once; later runs only check them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.cache/venv"
stamp="$venv/.installed-v1"
if [ ! -f "$stamp" ]; then
  echo "Installing moto[server] and cfn-lint into $venv ..." >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'moto[server]>=5.1.13' 'cfn-lint>=1.20'
  touch "$stamp"
fi
