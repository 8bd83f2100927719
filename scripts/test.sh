#!/usr/bin/env bash
# The one test command (README quick start; .ci/run runs exactly this). Installs what is missing:
# Debian packages when run as root, npm packages from the lockfile; then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib/ensure-debs.sh
ensure_debs dovecot-imapd:/usr/sbin/dovecot openssl:/usr/bin/openssl

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

npm test
