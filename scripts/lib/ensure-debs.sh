# The Debian packages the README commands need, each checked by a file it installs, and
# ensure_debs, which installs the missing ones in one apt-get run (as root) or prints the exact
# apt-get line and stops (otherwise) — before anything else is installed, so nothing half-installs.

# The private Dovecot of the tests and the demo, and the private Postfix submission server in front
# of it (delivering through Dovecot's LMTP).
MAILROOM_SERVER_DEBS=(
  dovecot-imapd:/usr/sbin/dovecot
  dovecot-lmtpd:/usr/lib/dovecot/lmtp
  postfix:/usr/lib/postfix/sbin/master
  openssl:/usr/bin/openssl
)
# The end-to-end tests and the demo: Chromium, and what code-server's native modules build with.
MAILROOM_E2E_DEBS=(
  chromium:/usr/bin/chromium
  libkrb5-dev:/usr/include/gssapi/gssapi.h
  libsecret-1-dev:/usr/include/libsecret-1/libsecret/secret.h
  libx11-dev:/usr/include/X11/Xlib.h
  libxkbfile-dev:/usr/include/X11/extensions/XKBfile.h
  pkg-config:/usr/bin/pkg-config
  python3:/usr/bin/python3
  make:/usr/bin/make
  g++:/usr/bin/g++
)

# ensure_debs pkg:/path/it/installs ...
ensure_debs() {
  local missing=() spec
  for spec in "$@"; do
    [ -e "${spec#*:}" ] || missing+=("${spec%%:*}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages. Install them with:" >&2
    if [[ " ${missing[*]} " == *" postfix "* ]]; then
      echo "  echo 'postfix postfix/main_mailer_type select No configuration' | sudo debconf-set-selections" >&2
    fi
    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
    echo "then run this command again." >&2
    exit 1
  fi
  echo "Installing Debian packages: ${missing[*]}" >&2
  local log
  log=$(mktemp)
  # Postfix's install asks what kind of mail system this is: none. It then writes no system
  # configuration (tests and the demo run their own instance and never start the system one).
  if [[ " ${missing[*]} " == *" postfix "* ]]; then
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  fi
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    echo "apt-get install ${missing[*]} failed; the end of its log:" >&2
    tail -n 30 "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
  # The packages enable a system Dovecot and Postfix; tests and the demo run their own private instances.
  if [ -e /usr/sbin/dovecot ] && command -v systemctl >/dev/null 2>&1; then systemctl disable --now dovecot >/dev/null 2>&1 || true; fi
  if [ -e /usr/lib/postfix/sbin/master ] && command -v systemctl >/dev/null 2>&1; then systemctl disable --now postfix >/dev/null 2>&1 || true; fi
}
