#!/usr/bin/env bash
# Makes sure the PostgreSQL and Redis the tests use are reachable; starts them when installed but stopped.
set -uo pipefail
pg_host=127.0.0.1; pg_port=5432; redis_port=6379
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_port() { for _ in $(seq 1 60); do port_open "$1" "$2" && return 0; sleep 0.5; done; return 1; }

if [ -z "${TEST_DATABASE_URL:-}" ] && ! port_open $pg_host $pg_port; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "starting PostgreSQL"
    for v in $(ls /etc/postgresql 2>/dev/null); do pg_ctlcluster --skip-systemctl-redirect "$v" main start || true; done
  elif command -v systemctl >/dev/null 2>&1; then
    systemctl start postgresql || true
  fi
  wait_port $pg_host $pg_port || { echo "PostgreSQL is not reachable on $pg_host:$pg_port (install: apt-get install postgresql; or set TEST_DATABASE_URL)" >&2; exit 1; }
fi
if [ -z "${TEST_REDIS_URL:-}" ] && ! port_open 127.0.0.1 $redis_port; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "starting Redis"
    mkdir -p /tmp/manpasik-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port $redis_port --save "" --appendonly no \
      --dir /tmp/manpasik-redis --logfile /tmp/manpasik-redis/redis.log
  fi
  wait_port 127.0.0.1 $redis_port || { echo "Redis is not reachable on 127.0.0.1:$redis_port (install: apt-get install redis-server; or set TEST_REDIS_URL)" >&2; exit 1; }
fi
exit 0
