#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the store tests, listening only on
# a unix socket under DIR (default target/pgtest), fsync off. Idempotent: a
# cluster already running there is reused. The last line of stdout is the URL
# to export as TEST_DATABASE_URL. Stop it with:
#   pg_ctl -D DIR/data stop   (as the user that owns DIR/data)
set -euo pipefail

dir="${1:-target/pgtest}"
port="${PGTEST_PORT:-5433}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

find_bin() {
    # The newest installed major version, e.g. /usr/lib/postgresql/15/bin.
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

bin="$(find_bin)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "PostgreSQL not found; installing it with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    bin="$(find_bin)"
fi
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "error: no initdb under /usr/lib/postgresql/*/bin after installing postgresql" >&2
    exit 1
fi

# initdb refuses to run as root; run the cluster as the postgres user then.
if [ "$(id -u)" = 0 ]; then
    owner=postgres
    as_owner() { runuser -u postgres -- "$@"; }
    chown postgres "$dir"
    if ! as_owner test -w "$dir"; then
        echo "error: the postgres user cannot reach $dir (a parent directory is closed to it); pass a directory under /tmp" >&2
        exit 1
    fi
else
    owner="$(id -un)"
    as_owner() { "$@"; }
fi

if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir/data" --auth=trust --username=postgres --no-sync -E UTF8 >&2
fi

if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -w -l "$dir/log" \
        -o "-c listen_addresses= -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -p $port" \
        start >&2
fi

echo "PostgreSQL ($(basename "$(dirname "$bin")")) running as $owner on socket $dir, port $port" >&2
echo "postgres://postgres@localhost:$port/postgres?host=$dir"
