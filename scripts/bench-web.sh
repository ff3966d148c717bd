#!/usr/bin/env bash
# Pages and API under load: `tsifra serve` on a big workspace, wrk with 100
# connections on loopback against every page and API route in turn, and a
# table of p50 / p99 latency and requests per second (and one request alone,
# for comparison). The start-up cold costs are printed while warming up.
#
#   scripts/bench-web.sh [DATA_DIR]        default /tmp/t1m, made once with
#     cargo run --release -- demo --deals 1000000 --no-serve --data-dir /tmp/t1m --as-of 2026-11-20T15:00
#
#   BENCH_AS_OF=2026-11-20T15:00   freeze the server's clock (empty: the wall clock, so live
#                                  views are recomputed each minute, as in production)
#   BENCH_SECONDS=10  BENCH_CONNECTIONS=100  BENCH_THREADS=2
#   BENCH_FULL_JSON=1              also load the full hygiene/receivables JSON (47 and 18 MB on
#                                  a million deals: transfer-bound, see the note printed)
#   TSIFRA_BIN=path                the binary (default target/release/tsifra, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."

data="${1:-/tmp/t1m}"
as_of="${BENCH_AS_OF-2026-11-20T15:00}"
seconds="${BENCH_SECONDS:-10}"
connections="${BENCH_CONNECTIONS:-100}"
threads="${BENCH_THREADS:-2}"
bin="${TSIFRA_BIN:-target/release/tsifra}"

command -v wrk >/dev/null || { apt-get update && apt-get install -y wrk; }
[ -d "$data" ] || { echo "no workspace at $data; make it with: cargo run --release -- demo --deals 1000000 --no-serve --data-dir $data --as-of 2026-11-20T15:00" >&2; exit 2; }
[ -x "$bin" ] || cargo build --release --locked
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

log="$(mktemp)"
args=(--data-dir "$data" serve --bind 127.0.0.1:0)
[ -n "$as_of" ] && args+=(--as-of "$as_of")
RUST_LOG=warn "$bin" "${args[@]}" 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT

echo "loading $data ..." >&2
url=""
for _ in $(seq 1 3000); do
  url="$(grep -ho 'http://127\.0\.0\.1:[0-9]*' "$log" | head -n 1)" || true
  [ -n "$url" ] && break
  kill -0 $pid 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.2
done
curl -sf "$url/api/health" >/dev/null
version() { curl -s "$url/api/health" | sed -n 's/.*"workspace_version":\([0-9]*\).*/\1/p'; }

paths=(
  /
  /boards/plan-fact
  /boards/leaderboard
  /boards/hygiene
  "/boards/hygiene?page=50"
  /boards/call-priority
  /boards/receivables
  /owner
  /tv
  /tv/slide/hygiene
  /api/health
  /api/workspace
  /api/reports/plan-fact
  /api/reports/leaderboard
  /api/reports/call-priority
  "/api/reports/hygiene?limit=100"
  "/api/reports/receivables?limit=100"
)
if [ "${BENCH_FULL_JSON:-0}" = 1 ]; then
  paths+=(/api/reports/hygiene /api/reports/receivables)
fi

# Warm every route once, and let the start-up job (today's hygiene tallies, a new
# workspace version) land first: a steady state is what is measured; the cold
# column shows what a first request after a change costs.
echo "first requests (cold: computing the reports, the trend, the pages):"
for path in "${paths[@]}"; do
  printf '  %-36s %8s ms\n' "$path" "$(curl -s -o /dev/null -w '%{time_total}' "$url$path" | awk '{ printf "%.0f", $1 * 1000 }')"
done
stable=0
last="$(version)"
for _ in $(seq 1 120); do
  sleep 1
  now="$(version)"
  if [ "$now" = "$last" ]; then stable=$((stable + 1)); else stable=0; last="$now"; fi
  [ "$stable" -ge 5 ] && break
done
for path in "${paths[@]}"; do curl -s -o /dev/null "$url$path"; done

deals="$(curl -s "$url/api/health" | sed -n 's/.*"deals":\([0-9]*\).*/\1/p')"
echo "tsifra serve, $deals deals, clock ${as_of:-live}; wrk -t$threads -c$connections -d${seconds}s on $(nproc) cores"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-38s %10s %10s %10s %10s %11s\n' path "alone ms" "p50 ms" "p99 ms" "req/s" "bytes"
to_ms() { # wrk prints 1.23ms, 456.00us or 1.02s
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
for path in "${paths[@]}"; do
  cold="$(curl -s -o /dev/null -w '%{time_total}' "$url$path" | awk '{ printf "%.1f", $1 * 1000 }')"
  bytes="$(curl -s -o /dev/null -w '%{size_download}' "$url$path")"
  out="$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency "$url$path")"
  p50="$(echo "$out" | awk '$1 == "50%" { print $2 }')"
  p99="$(echo "$out" | awk '$1 == "99%" { print $2 }')"
  rps="$(echo "$out" | awk '/^Requests\/sec/ { printf "%.0f", $2 }')"
  errors="$(echo "$out" | grep -E 'Non-2xx|Socket errors' || true)"
  printf '%-38s %10s %10s %10s %10s %11s %s\n' "$path" "$cold" "$(to_ms "$p50")" "$(to_ms "$p99")" "$rps" "$bytes" "$errors"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server RSS: $(awk '/VmRSS/ { printf "%.0f MB", $2 / 1024 }' /proc/$pid/status)"
