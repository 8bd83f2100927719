#!/usr/bin/env bash
# The one demo command (README quick start): installs what is missing, builds and packages the
# extension, then starts a local Dovecot with sample mail and a code-server with Mailroom in it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-deps.sh
ensure_project_deps
bash scripts/lib/code-server.sh
npm run --silent package
exec node --import tsx scripts/demo.ts "$PWD/mailroom.vsix"
