#!/usr/bin/env bash
# The server's memory under a wave of downloads: `tsifra serve` on a demo
# workspace, N clients asking for the same XLSX at once (curl, one connection
# each), and the process's resident memory before and its peak (VmHWM) after.
#
#   scripts/bench-downloads.sh [DATA_DIR]    default /tmp/tsifra-demo-6k, made once with
#     cargo run --release -- demo --no-serve --data-dir /tmp/tsifra-demo-6k
#
#   BENCH_CLIENTS=100  BENCH_PATH=/boards/hygiene.xlsx  BENCH_AS_OF=2026-12-07T15:00
#   TSIFRA_BIN=path    the binary (default target/release/tsifra)
set -euo pipefail
cd "$(dirname "$0")/.."

data="${1:-/tmp/tsifra-demo-6k}"
clients="${BENCH_CLIENTS:-100}"
path="${BENCH_PATH:-/boards/hygiene.xlsx}"
as_of="${BENCH_AS_OF-2026-12-07T15:00}"
bin="${TSIFRA_BIN:-target/release/tsifra}"
[ -d "$data" ] || { echo "no workspace at $data; make it with: cargo run --release -- demo --no-serve --data-dir $data" >&2; exit 2; }
[ -x "$bin" ] || cargo build --release --locked

log="$(mktemp)"
out="$(mktemp -d)"
args=(--data-dir "$data" serve --bind 127.0.0.1:0)
[ -n "$as_of" ] && args+=(--as-of "$as_of")
RUST_LOG=warn "$bin" "${args[@]}" 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$log" "$out"' EXIT
url=""
for _ in $(seq 1 3000); do
  url="$(grep -o 'http://[0-9.:]*' "$log" | head -1 || true)"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$log" >&2; exit 1; }
# Warm: the boards are made after start; wait until the page answers, then settle.
curl -sf -o /dev/null "$url/boards/hygiene"
sleep 3
rss() { awk -v k="$1:" '$1 == k { printf "%d MB", $2 / 1024 }' "/proc/$pid/status"; }
echo "before: RSS $(rss VmRSS), peak so far $(rss VmHWM)"
started=$(date +%s.%N)
for i in $(seq 1 "$clients"); do
  curl -s -o "$out/$i" -w '%{http_code}\n' "$url$path" >"$out/$i.code" &
done
wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
elapsed=$(echo "$(date +%s.%N) - $started" | bc)
ok=$(grep -c '^200$' "$out"/*.code | awk -F: '{s += $2} END {print s}')
size=$(stat -c %s "$out/1")
echo "$clients clients on $path: $ok answered 200 ($size bytes each) in ${elapsed}s"
echo "after:  RSS $(rss VmRSS), peak $(rss VmHWM)"
