# Shared helpers for the run and test scripts. Source it; do not run it.
# Everything here installs only what is missing, so a second run is quick.

set -Eeuo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

# No silent exits: whatever fails says what it was and where.
trap 'status=$?; printf "\033[1;31m==> failed (exit %s): %s (%s line %s)\033[0m\n" "$status" "$BASH_COMMAND" "${BASH_SOURCE[0]##*/}" "$LINENO" >&2' ERR

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    log "apt-get update"
    apt-get update -qq >/dev/null
    apt_updated=1
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# The exact wasm-bindgen version in Cargo.lock: the CLI must match it.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_rust_tools() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
  fi
  if ! cargo leptos --version 2>/dev/null | grep -q ' 0\.3\.'; then
    log "installing cargo-leptos 0.3.11 (about 20 minutes on 2 cores)"
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install cargo-leptos --version 0.3.11 --locked --ignore-rust-version
  fi
  local want
  want="$(wasm_bindgen_version)"
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
    log "installing wasm-bindgen-cli $want (about 8 minutes)"
    cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

# Release builds run wasm-opt. Debian's binaryen (108) re-encodes wasm-bindgen's
# reference-typed tables wrongly and the optimised module fails to instantiate.
# npm's `binaryen` package (pinned in end2end/package.json) is binaryen 132 built
# to wasm: it installs in seconds, where compiling binaryen takes ten minutes.
ensure_wasm_opt() {
  ensure_npm_packages
  export PATH="$ROOT/end2end/node_modules/.bin:$PATH"
  local have
  have="$(wasm-opt --version 2>/dev/null | awk '{print $3}' || true)"
  case "$have" in
    '' | *[!0-9]*) have=0 ;;
  esac
  if [ "$have" -lt 116 ]; then
    log "wasm-opt from end2end/node_modules is missing or older than binaryen 116 (found: ${have})"
    return 1
  fi
}

# The optimised wasm must stay within budget (gzipped bytes, what users download).
# 752 KB since the reach features (two languages, the announcer, keyboard
# navigation, pop-out/embed, replay); README says what grew and what would
# shrink it.
WASM_BUDGET_GZIP_BYTES=760000
check_wasm_budget() {
  local wasm="$ROOT/target/site/pkg/livechat.wasm" raw gz
  raw=$(stat -c %s "$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  log "release wasm: $raw bytes, $gz gzipped (budget $WASM_BUDGET_GZIP_BYTES)"
  if [ "$gz" -gt "$WASM_BUDGET_GZIP_BYTES" ]; then
    log "the release wasm is over its budget"
    return 1
  fi
}

ensure_database_server() {
  if command -v mongod >/dev/null || command -v nx-27017 >/dev/null; then
    return
  fi
  log "pip install nx-27017 (MongoDB wire protocol on SQLite; no mongod here)"
  python3 -m pip install --quiet --disable-pip-version-check nx-27017
  hash -r
}

# Redis 7 (Debian) for cluster mode and its tests; nginx for ./scripts/cluster.
ensure_redis() {
  if ! command -v redis-server >/dev/null; then
    apt_install redis-server
    # The package's own service is not used: tests and scripts start their own.
    service redis-server stop >/dev/null 2>&1 || true
  fi
}

ensure_nginx() {
  if ! command -v nginx >/dev/null; then
    apt_install nginx
    service nginx stop >/dev/null 2>&1 || true
  fi
}

ensure_npm_packages() {
  if ! command -v npm >/dev/null; then
    apt_install nodejs npm
  fi
  if [ ! -d "$ROOT/end2end/node_modules/binaryen" ] || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
    log "npm ci (end2end: Playwright, socket.io-client, binaryen)"
    (cd "$ROOT/end2end" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_browser_tools() {
  if ! command -v chromium >/dev/null; then
    apt_install chromium
  fi
  ensure_npm_packages
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() { # host port seconds
  local deadline=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      log "nothing listens on $1:$2 after $3 s"
      return 1
    fi
    sleep 0.2
  done
}

# Starts a local MongoDB-compatible server: mongod when installed, else nx-27017.
# Usage: start_database PORT DATA_DIR ; sets DB_PID.
start_database() {
  local port="$1" dir="$2"
  mkdir -p "$dir"
  if command -v mongod >/dev/null; then
    mongod --port "$port" --bind_ip 127.0.0.1 --dbpath "$dir" --quiet >"$dir/mongod.log" 2>&1 &
  else
    # --pid-file: without it a second instance refuses to start.
    nx-27017 --data-dir "$dir" -p "$port" --pid-file "$dir/nx.pid" --log-file "$dir/nx.log" >/dev/null 2>&1 &
  fi
  DB_PID=$!
  wait_port 127.0.0.1 "$port" 30
}
