#!/usr/bin/env bash
# `npm run bench [-- --quick]`: installs what is missing (as the other README commands do), then
# measures the core against the raw-protocol baseline (bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-deps.sh
ensure_project_deps >&2
exec node --expose-gc --import tsx bench/run.ts "$@"
