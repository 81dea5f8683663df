#!/usr/bin/env bash
# Soak (not in CI): a real deployment on loopback — RabbitMQ, PostgreSQL and three release
# `novactor` processes (api+conductor+scheduler; compute node1; compute node2) — under
# steady mixed load through the compute REST API for MINUTES (default 10), sampled every
# 10 s; prints first- vs last-minute averages, slopes per hour and PASS/FAIL lines for
# "flat" (docs/BENCHMARKS.md, "Soak"). Raw samples: target/soak/samples.csv; process logs
# target/soak/*.log; the summary target/soak/report.txt.
#
# Usage: bash bench/soak.sh [MINUTES]
# Env: SOAK_SERVERS (servers kept in flight, default 8), SOAK_RATE (HTTP requests/s,
# polls included, default 8), SOAK_SPAWN_DELAY (fake driver spawn seconds, default 0.5).
#
# The run uses a RabbitMQ virtual host and a PostgreSQL database of its own
# (novactor_soak_<hex>), both removed at the end, so nothing else on the broker shares
# its queues (Nova's topic queues are not named after the control exchange).
set -euo pipefail
cd "$(dirname "$0")/.."

MINUTES=${1:-10}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
if ! port_open 127.0.0.1 5672 || ! port_open 127.0.0.1 5432; then
  bash scripts/services.sh
fi

suffix=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
export SOAK_DB="novactor_soak_$suffix" SOAK_VHOST="novactor_soak_$suffix"
mkdir -p target/soak
rm -f target/soak/pids target/soak/*.log

pg() { psql -h 127.0.0.1 -U postgres -d postgres -qAtX -v ON_ERROR_STOP=1 -c "$1"; }

cleanup() {
  # Processes the bench started and could not stop (it removes the file after a clean stop).
  if [ -f target/soak/pids ]; then
    while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <target/soak/pids
    rm -f target/soak/pids
  fi
  pg "DROP DATABASE IF EXISTS $SOAK_DB WITH (FORCE)" >/dev/null 2>&1 || true
  rabbitmqctl -q delete_vhost "$SOAK_VHOST" >/dev/null 2>&1 || true
}
trap cleanup EXIT

pg "CREATE DATABASE $SOAK_DB" >/dev/null
rabbitmqctl -q add_vhost "$SOAK_VHOST" >/dev/null
rabbitmqctl -q set_permissions -p "$SOAK_VHOST" guest '.*' '.*' '.*' >/dev/null

# `cargo bench` builds the `novactor` binary the bench starts (CARGO_BIN_EXE_novactor) and
# the driver in the release profile (the bench profile inherits it): the processes run
# the same optimized code as `cargo build --release`.
cargo bench --bench soak --no-run
cargo bench --bench soak -- "$MINUTES"
