# ensure_project_deps — what both README commands need before anything else: the Debian packages
# of the private Dovecot (as root; otherwise it says what to install) and the npm packages.
source "$(dirname "${BASH_SOURCE[0]}")/ensure-debs.sh"
ensure_project_deps() {
  ensure_debs dovecot-imapd:/usr/sbin/dovecot openssl:/usr/bin/openssl
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
}
