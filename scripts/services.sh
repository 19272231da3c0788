#!/usr/bin/env bash
# The machines run PostgreSQL, Redis and RabbitMQ; start any that is down. The history store's tests
# need PostgreSQL: in CI (CI=true) a PostgreSQL that will not come up fails the run here, with the
# reason, rather than later as skipped or failing tests. Redis and RabbitMQ stay best effort.
set -u
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || echo "could not start PostgreSQL" >&2
fi
if command -v redis-cli >/dev/null 2>&1 && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log || echo "could not start Redis" >&2
fi
if command -v rabbitmq-server >/dev/null 2>&1 && ! (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
    rabbitmq-server -detached || echo "could not start RabbitMQ" >&2
fi
if [ "${CI:-}" = "true" ]; then
    for _ in $(seq 1 30); do
        pg_isready -q -h 127.0.0.1 -p 5432 && exit 0
        sleep 1
    done
    echo "PostgreSQL at 127.0.0.1:5432 is not accepting connections: the history store tests need it" >&2
    exit 1
fi
exit 0
