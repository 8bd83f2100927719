#!/usr/bin/env bash
# `npm run bench:e2e`: installs what is missing (as the other README commands do), packages the
# extension, then measures user-visible latencies in code-server (bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/ensure-deps.sh
ensure_project_deps >&2
npm run --silent package >&2
exec node --import tsx bench/e2e/latency.ts "$@"
