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
  MAILROOM_TOOLS=$(mktemp -d "${TMPDIR:-/tmp}/mailroom-tools.XXXXXX")
  export MAILROOM_TOOLS
  trap 'rm -rf "$MAILROOM_TOOLS"' EXIT
  echo "CI: installing the end-to-end tools from scratch into $MAILROOM_TOOLS" >&2
  started=$SECONDS
  bash scripts/lib/code-server.sh
  echo "CI: end-to-end tools installed in $((SECONDS - started)) s" >&2
fi
npm test
