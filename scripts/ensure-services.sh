#!/usr/bin/env bash
# Make sure the services the test suite talks to are up: PostgreSQL (127.0.0.1:5432) and
# Redis (127.0.0.1:6379). Starts them when they are installed but stopped. In CI (CI=true) a
# service that cannot be reached is a failure; elsewhere it is a warning and the tests that need
# it skip with the reason.
set -uo pipefail

in_ci() { [ "${CI:-}" = "true" ] || [ "${CI:-}" = "1" ]; }
problem() {
  if in_ci; then echo "ensure-services: ERROR: $1" >&2; exit 1; fi
  echo "ensure-services: warning: $1" >&2
}
wait_for() { # command, seconds
  local i
  for ((i = 0; i < $2 * 5; i++)); do eval "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432; }
if ! command -v pg_isready >/dev/null 2>&1; then
  problem "PostgreSQL client tools are not installed (apt-get install postgresql)"
elif ! pg_up; then
  echo "ensure-services: starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  wait_for pg_up 30 || problem "PostgreSQL is not reachable on 127.0.0.1:5432"
fi

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG; }
if ! command -v redis-cli >/dev/null 2>&1; then
  problem "Redis is not installed (apt-get install redis-server)"
elif ! redis_up; then
  echo "ensure-services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  wait_for redis_up 15 || problem "Redis is not reachable on 127.0.0.1:6379"
fi
echo "ensure-services: PostgreSQL and Redis are reachable"
