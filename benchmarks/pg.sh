#!/usr/bin/env bash
# Start or stop a throwaway PostgreSQL cluster on 127.0.0.1 for the benchmark (as
# scripts/test.sh does for the tests): bash benchmarks/pg.sh start|stop [port] [dir]
set -euo pipefail
action=$1
port=${2:-54339}
pgdir=${3:-/tmp/capex-bench-pg}
bindir=$(dirname "$(compgen -G "/usr/lib/postgresql/*/bin/initdb" | sort -V | tail -n 1)")
as_pg=()
if [ "$(id -u)" = 0 ]; then
  as_pg=("$(command -v runuser || echo /usr/sbin/runuser)" -u postgres --)
fi
case $action in
  start)
    mkdir -p "$pgdir"
    [ "$(id -u)" = 0 ] && chown postgres "$pgdir"
    "${as_pg[@]}" "$bindir/initdb" -D "$pgdir/data" -U postgres --auth=trust \
      --encoding=UTF8 --locale=C >/dev/null
    "${as_pg[@]}" "$bindir/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
      -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    "${as_pg[@]}" "$bindir/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
    ;;
esac
