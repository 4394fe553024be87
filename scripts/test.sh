#!/usr/bin/env bash
# Install what the tests need, lint, then run the whole suite on SQLite and again on a
# throwaway PostgreSQL server on loopback. This is the README's test command; .ci/run
# runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# requirements.lock pins every package to the versions the suite last passed with.
.venv/bin/python -m pip install -q --disable-pip-version-check -c requirements.lock -e ".[dev]"

# System packages: Chromium for the browser test, PostgreSQL for the second run.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium chromium-driver)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  else
    echo "note: not root, cannot install: ${missing[*]}" >&2
  fi
fi

.venv/bin/ruff check tracker dashboard tests benchmarks
.venv/bin/ruff format --check tracker dashboard tests benchmarks
.venv/bin/mypy tracker

echo "== test suite on SQLite"
start=$(date +%s)
.venv/bin/python -m pytest "$@"
echo "SQLite suite wall time: $(( $(date +%s) - start )) s"

initdb=$(compgen -G "/usr/lib/postgresql/*/bin/initdb" | sort -V | tail -n 1 || true)
if [ -z "$initdb" ]; then
  echo "PostgreSQL is not installed: the PostgreSQL run was skipped" >&2
  [ -n "${CI:-}" ] && exit 1
  exit 0
fi
bindir=$(dirname "$initdb")
pgdir=$(mktemp -d /tmp/capex-pg.XXXXXX)
port=${CAPEX_PG_PORT:-54329}
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$pgdir"
  as_pg=("$(command -v runuser || echo /usr/sbin/runuser)" -u postgres --)
fi
stop_pg() { "${as_pg[@]}" "$bindir/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pgdir"; }
trap stop_pg EXIT
# Explicit UTF-8: without LANG in the environment initdb would pick SQL_ASCII, and
# psycopg then returns bytes instead of text.
"${as_pg[@]}" "$bindir/initdb" -D "$pgdir/data" -U postgres --auth=trust \
  --encoding=UTF8 --locale=C >/dev/null
"${as_pg[@]}" "$bindir/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
  -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
"${as_pg[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres capex_test

echo "== test suite on PostgreSQL"
CAPEX_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/capex_test" \
  .venv/bin/python -m pytest -m "not browser" "$@"
