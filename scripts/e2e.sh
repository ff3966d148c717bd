#!/usr/bin/env bash
# Tsifra's pages in a real browser. Installs Debian's Chromium if missing and
# playwright-core from npm (no browser download), generates a demo department
# with a fixed seed and clock, serves it on a free loopback port with the clock
# frozen, runs `node --test e2e/`, and leaves screenshots in
# target/e2e-screenshots/ (and in docs/screenshots/ with UPDATE_SCREENSHOTS=1).
#
#   TSIFRA_BIN=path/to/tsifra   use this binary instead of building target/ci/tsifra
#   E2E_DEALS=3000              size of the demo department
#
# Two more servers serve floors of 12 and 20 at work (`demo --managers 13` and
# `21`: one of them left months ago) for the TV's plan-fact slide: a full page
# and two pages; the tests find them in TSIFRA_URL_12 and TSIFRA_URL_20.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

step() { printf '\n== %s\n' "$*"; }
fail() { echo "e2e: $*" >&2; exit 1; }

SEED=7
AS_OF=2026-11-20T15:00
DEALS="${E2E_DEALS:-3000}"
TOKEN=e2e-tv-token
SHOTS="$root/target/e2e-screenshots"

step "Chromium and Node"
if [ ! -x /usr/bin/chromium ]; then
  # Another job may be installing it right now: apt waits for its lock.
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=900 chromium
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=900 nodejs npm
fi
/usr/bin/chromium --version 2>/dev/null | grep -v '^\s*$' || true
node --version
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)

step "the tsifra binary"
bin="${TSIFRA_BIN:-$root/target/ci/tsifra}"
if [ ! -x "$bin" ]; then
  cargo build --locked --profile ci
  bin="$root/target/ci/tsifra"
fi
[ -x "$bin" ] || fail "no binary at $bin"

work="$root/target/e2e"   # a fixed path: the home page shows it, and the screenshots stay stable
rm -rf "$work"
mkdir -p "$work"
server_pid=""
server12_pid=""
server20_pid=""
cleanup() {
  for pid in "$server_pid" "$server12_pid" "$server20_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work/demo" "$work/demo12" "$work/demo20"
}
trap cleanup EXIT

step "a demo department: $DEALS deals, seed $SEED, as of $AS_OF"
"$bin" demo --data-dir "$work/demo" --deals "$DEALS" --seed "$SEED" --as-of "$AS_OF" --no-serve

step "floors of 12 and 20 for the TV: 13 and 21 managers"
"$bin" demo --data-dir "$work/demo12" --deals 800 --managers 13 --seed "$SEED" --as-of "$AS_OF" --no-serve
"$bin" demo --data-dir "$work/demo20" --deals 1200 --managers 21 --seed "$SEED" --as-of "$AS_OF" --no-serve

# Prints the URL the server with pid $1, logging to $2.{out,log}, listens on, once it answers.
await_server() {
  local pid="$1" log="$2" url=""
  for _ in $(seq 1 600); do
    url="$(grep -ho 'http://127\.0\.0\.1:[0-9]*' "$log.log" "$log.out" 2>/dev/null | head -n 1)" || true
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$log.log" >&2; fail "the server exited"; }
    sleep 0.1
  done
  [ -n "$url" ] || { cat "$log.log" >&2; fail "the server did not say where it listens"; }
  for _ in $(seq 1 300); do
    if node -e "fetch('$url/api/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then break; fi
    sleep 0.2
  done
  node -e "fetch('$url/api/health').then(r => r.json()).then(j => console.error('serving', j.deals, 'deals as of', j.as_of))"
  echo "$url"
}

step "the servers, clock frozen at $AS_OF"
# The TV token comes from the environment, as an operator would set it ([tv] token).
TSIFRA_TV__TOKEN="$TOKEN" RUST_LOG="${RUST_LOG:-warn}" \
  "$bin" --data-dir "$work/demo" serve --bind 127.0.0.1:0 --as-of "$AS_OF" >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
RUST_LOG="${RUST_LOG:-warn}" \
  "$bin" --data-dir "$work/demo12" serve --bind 127.0.0.1:0 --as-of "$AS_OF" >"$work/server12.out" 2>"$work/server12.log" &
server12_pid=$!
RUST_LOG="${RUST_LOG:-warn}" \
  "$bin" --data-dir "$work/demo20" serve --bind 127.0.0.1:0 --as-of "$AS_OF" >"$work/server20.out" 2>"$work/server20.log" &
server20_pid=$!
url="$(await_server "$server_pid" "$work/server")"
url12="$(await_server "$server12_pid" "$work/server12")"
url20="$(await_server "$server20_pid" "$work/server20")"

step "node --test e2e/"
rm -rf "$SHOTS"
mkdir -p "$SHOTS"
status=0
# One test file at a time: each drives its own Chromium, and two cores are enough for one.
serial=()
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] && serial=(--test-concurrency=1)
TSIFRA_URL="$url" TSIFRA_URL_12="$url12" TSIFRA_URL_20="$url20" TSIFRA_TV_TOKEN="$TOKEN" TSIFRA_SCREENSHOTS="$SHOTS" \
  node --test "${serial[@]}" e2e/ || status=$?

if [ "$status" -ne 0 ]; then
  echo "--- server log (last 50 lines)" >&2
  tail -n 50 "$work/server.log" >&2 || true
  fail "browser tests failed (screenshots in $SHOTS)"
fi
echo "screenshots: $SHOTS"
if [ "${UPDATE_SCREENSHOTS:-0}" = 1 ]; then
  mkdir -p docs/screenshots
  cp "$SHOTS/home.png" "$SHOTS/tv.png" "$SHOTS/owner.png" docs/screenshots/
  echo "updated docs/screenshots/{home,tv,owner}.png"
fi
