#!/usr/bin/env bash
# The one test command (README quick start; .ci/run runs exactly this). Installs what is missing:
# Debian packages when run as root, npm packages from the lockfile (code-server for the e2e tests
# is installed by their harness); then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-deps.sh
ensure_project_deps
npm test
