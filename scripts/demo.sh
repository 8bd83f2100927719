#!/usr/bin/env bash
# The one demo command (README quick start): installs what is missing, builds and packages the
# extension, then starts a local Dovecot with sample mail and a code-server with Mailroom in it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-debs.sh
ensure_debs dovecot-imapd:/usr/sbin/dovecot openssl:/usr/bin/openssl
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/lib/code-server.sh
npm run --silent package
exec node --import tsx scripts/demo.ts "$PWD/mailroom.vsix"
