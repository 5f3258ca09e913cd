#!/usr/bin/env bash
# Make PostgreSQL and Redis reachable at the configured URLs. Reuses running servers; otherwise starts the
# local ones, installing them from the OS packages when allowed (root, or sudo without a password).
set -euo pipefail

DATABASE_URL=${COBRANZA_DATABASE_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/cobranza}
REDIS_URL=${COBRANZA_REDIS_URL:-redis://127.0.0.1:6379/0}

# host and port out of the URLs
pg_hostport=$(sed -E 's#^[^/]*//([^@/]*@)?([^/]+)/.*#\2#' <<<"$DATABASE_URL")
PG_HOST=${pg_hostport%%:*}; PG_PORT=${pg_hostport##*:}; [ "$PG_PORT" = "$PG_HOST" ] && PG_PORT=5432
redis_hostport=$(sed -E 's#^[^/]*//([^@/]*@)?([^/]+).*#\2#' <<<"$REDIS_URL")
REDIS_HOST=${redis_hostport%%:*}; REDIS_PORT=${redis_hostport##*:}; [ "$REDIS_PORT" = "$REDIS_HOST" ] && REDIS_PORT=6379

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif sudo -n true 2>/dev/null; then sudo -n "$@"; else return 1; fi; }
reachable() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_for() { for _ in $(seq 1 60); do reachable "$1" "$2" && return 0; sleep 0.5; done; return 1; }

if ! reachable "$PG_HOST" "$PG_PORT"; then
  echo "PostgreSQL is not reachable at $PG_HOST:$PG_PORT; starting a local one"
  if ! command -v pg_ctlcluster >/dev/null; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql </dev/null \
      || { as_root apt-get update -q </dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql </dev/null; } \
      || { echo "Cannot install PostgreSQL: install it or set COBRANZA_DATABASE_URL" >&2; exit 1; }
  fi
  version=$(ls /etc/postgresql | sort -n | tail -1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  # local test servers trust loopback connections, as the defaults expect
  hba=/etc/postgresql/$version/main/pg_hba.conf
  if [ -f "$hba" ] && ! as_root grep -q "cobranza-local" "$hba"; then
    as_root sh -c "sed -i '1i host all all 127.0.0.1/32 trust # cobranza-local' $hba"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
  fi
  wait_for "$PG_HOST" "$PG_PORT" || { echo "PostgreSQL did not start" >&2; exit 1; }
fi

if ! reachable "$REDIS_HOST" "$REDIS_PORT"; then
  echo "Redis is not reachable at $REDIS_HOST:$REDIS_PORT; starting a local one"
  if ! command -v redis-server >/dev/null; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server </dev/null \
      || { as_root apt-get update -q </dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server </dev/null; } \
      || { echo "Cannot install Redis: install it or set COBRANZA_REDIS_URL" >&2; exit 1; }
  fi
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /tmp --logfile /tmp/cobranza-redis.log
  wait_for "$REDIS_HOST" "$REDIS_PORT" || { echo "Redis did not start" >&2; exit 1; }
fi

# PgBouncer (transaction mode in front of PostgreSQL): the test suite starts its own on a free port
# (tests/platform/test_pgbouncer.py); only the program is needed here.
if ! command -v pgbouncer >/dev/null && [ ! -x /usr/sbin/pgbouncer ]; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbouncer </dev/null \
    || { as_root apt-get update -q </dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q pgbouncer </dev/null; } \
    || echo "Cannot install PgBouncer: install it (its test needs it)" >&2
fi

# redis-server itself: the tests of workers riding out a Redis restart and bench/faults.py start their own.
if ! command -v redis-server >/dev/null; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server </dev/null \
    || { as_root apt-get update -q </dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server </dev/null; } \
    || echo "Cannot install redis-server: install it (the Redis restart tests need it)" >&2
fi

# weasyprint (the PDF statements) loads pango, harfbuzz and fontconfig at run time, and needs a font.
if ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0' || ! ldconfig -p | grep -q 'libharfbuzz-subset.so.0' \
  || [ ! -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  pdf_packages="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $pdf_packages </dev/null \
    || { as_root apt-get update -q </dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $pdf_packages </dev/null; } \
    || echo "Cannot install pango and fonts: install them (PDF statements need them)" >&2
fi

# chromium and its driver: the browser test of /docs and /redoc (tests/platform/test_docs_browser.py) drives them.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver </dev/null \
    || { as_root apt-get update -q </dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver </dev/null; } \
    || echo "Cannot install chromium and chromium-driver: install them (the browser test of /docs needs them)" >&2
fi
