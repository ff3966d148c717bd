#!/usr/bin/env bash
# Every check CI runs, on a fresh Debian machine or a developer's: installs
# what the tests need (PostgreSQL server; Chromium for the page tests), starts
# a throwaway PostgreSQL, then formatting, lints and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}" INSTA_UPDATE=no RUST_BACKTRACE="${RUST_BACKTRACE:-1}"

step() { printf '\n== %s\n' "$*"; }

# amoCRM's own sample responses live beside the project (never copied into it).
export TSIFRA_AMOCRM_SAMPLES="${TSIFRA_AMOCRM_SAMPLES:-$(cd .. && pwd)/shared/amocrm-samples}"
# Public data sets beside the project (never copied into it): the Maven CRM check reads them.
if [ -z "${TSIFRA_DATASETS:-}" ] && [ -d ../shared/datasets/maven-crm ]; then
  TSIFRA_DATASETS="$(cd .. && pwd)/shared/datasets"
  export TSIFRA_DATASETS
fi

# Each fuzz target runs this long (seconds); longer on demand, e.g. TSIFRA_FUZZ_SECONDS=600.
export TSIFRA_FUZZ_SECONDS="${TSIFRA_FUZZ_SECONDS:-30}"

step "formatting"
cargo fmt --all -- --check

step "lints"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "no OpenSSL or aws-lc in the build"
for banned in aws-lc-sys openssl-sys native-tls; do
  if cargo tree --workspace -e normal -i "$banned" --locked >/dev/null 2>&1; then
    echo "error: $banned is in the dependency tree" >&2
    exit 1
  fi
done

step "PostgreSQL for the store tests"
pg_dir="$PWD/target/pgtest"
TEST_DATABASE_URL="$(scripts/start-test-postgres.sh "$pg_dir" | tail -n 1)"
export TEST_DATABASE_URL
stop_pg() {
  local bin; bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
  else "$bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true; fi
}
trap stop_pg EXIT

step "tests"
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --cargo-profile ci --no-fail-fast
else
  cargo test --workspace --locked --profile ci --no-fail-fast
fi
cargo test --doc --workspace --locked --profile ci

step "amoCRM's own samples parse"
if [ -f crates/amocrm/tests/samples.rs ]; then
  cargo test -p tsifra-amocrm --locked --profile ci --test samples
fi

step "pages in a real browser"
if [ -x scripts/e2e.sh ]; then
  TSIFRA_BIN="$PWD/target/ci/tsifra" scripts/e2e.sh
fi
