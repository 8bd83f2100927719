#!/usr/bin/env bash
# The one test command (README quick start; .ci/run runs exactly this). Installs what is missing:
# Debian packages when run as root (otherwise it prints the apt-get line), npm packages from the
# lockfile, and the end-to-end tools (Node 24 and code-server, outside the repository); then runs
# every test.
#
# With CI=true the end-to-end tools are installed from scratch into a fresh temporary directory
# instead of ~/.cache/mailroom-tools, so a broken install step cannot hide behind a warm machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-deps.sh
ensure_project_deps
if [ "${CI:-}" = "true" ] && [ -z "${MAILROOM_TOOLS:-}" ]; then
  # Installed on first use by the end-to-end tests, i.e. under `npm test` as on a user's machine.
  MAILROOM_TOOLS=$(mktemp -d "${TMPDIR:-/tmp}/mailroom-tools.XXXXXX")
  export MAILROOM_TOOLS
  trap 'rm -rf "$MAILROOM_TOOLS"' EXIT
  echo "CI: the end-to-end tools are installed from scratch into $MAILROOM_TOOLS" >&2
fi
npm test
