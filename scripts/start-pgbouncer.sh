#!/usr/bin/env bash
# Start PgBouncer in transaction mode on 127.0.0.1:6432 in front of the local PostgreSQL, for the
# tests that run privault through a pooler (tests/contract/test_pgbouncer.py). Installs Debian's
# pgbouncer if it is missing. Idempotent: does nothing when something already answers on 6432.
# Prints the URL the tests use (PRIVAULT_TEST_PGBOUNCER_URL).
set -euo pipefail

PORT=6432
DB=privault_pgbouncer
URL="postgresql+psycopg://postgres@127.0.0.1:${PORT}/${DB}"
if pg_isready -h 127.0.0.1 -p "$PORT" -q 2>/dev/null; then
  echo "$URL"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
if ! command -v pgbouncer >/dev/null 2>&1; then
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq pgbouncer >&2
fi
# the database the pooled tests use (created empty here; the tests migrate it)
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '${DB}'" \
  | grep -q 1 || psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE ${DB}" >&2
DIR=/tmp/privault-pgbouncer
mkdir -p "$DIR"
cat > "$DIR/pgbouncer.ini" <<INI
[databases]
${DB} = host=127.0.0.1 port=5432 dbname=${DB}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${PORT}
auth_type = trust
auth_file = ${DIR}/userlist.txt
pool_mode = transaction
max_client_conn = 200
default_pool_size = 4
ignore_startup_parameters = extra_float_digits,options
logfile = ${DIR}/pgbouncer.log
pidfile = ${DIR}/pgbouncer.pid
unix_socket_dir =
INI
echo '"postgres" ""' > "$DIR/userlist.txt"
if [ "$(id -u)" -eq 0 ]; then
  chown -R postgres "$DIR"
  pgbouncer -d -u postgres "$DIR/pgbouncer.ini" >&2
else
  pgbouncer -d "$DIR/pgbouncer.ini" >&2
fi
for _ in $(seq 1 20); do
  pg_isready -h 127.0.0.1 -p "$PORT" -q 2>/dev/null && break
  sleep 0.5
done
pg_isready -h 127.0.0.1 -p "$PORT" -q || { echo "PgBouncer did not start" >&2; exit 1; }
echo "$URL"
