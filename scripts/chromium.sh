#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (playwright-core drives it; no browser download).
# Needs apt-get and root, as on our build machines; does nothing when it is already there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "Installing Debian's chromium for the browser tests ..." >&2
export DEBIAN_FRONTEND=noninteractive
# One apt at a time on a shared machine.
exec 9>/tmp/migration-apt.lock
flock 9
if [ -x /usr/bin/chromium ]; then exit 0; fi
apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
/usr/bin/chromium --version >&2
