# ensure_project_deps — what both README commands need before anything else: every Debian package
# (as root; otherwise one apt-get line to run, before anything is installed) and the npm packages.
source "$(dirname "${BASH_SOURCE[0]}")/ensure-debs.sh"
ensure_project_deps() {
  ensure_debs "${MAILROOM_SERVER_DEBS[@]}" "${MAILROOM_E2E_DEBS[@]}"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
}
