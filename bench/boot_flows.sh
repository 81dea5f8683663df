#!/usr/bin/env bash
# Boot flows at scale: 1,000 boots to ACTIVE embedded (memory://, SQLite) and over RabbitMQ
# + PostgreSQL, and a node hosting 1,000 computes (start-up, RSS, select_destinations).
# Builds in release and prints the table (with target verdicts) recorded in
# docs/BENCHMARKS.md. Usage: bash bench/boot_flows.sh [hosts] [embedded] [rabbit]
# Env: NOVACTOR_TEST_RABBIT_URL, NOVACTOR_TEST_POSTGRES_URL (other servers; defaults local).
set -euo pipefail
cd "$(dirname "$0")/.."

# RabbitMQ and PostgreSQL for the `rabbit` measurement; without them it is skipped.
bash scripts/services.sh || echo "boot_flows.sh: services unavailable; the RabbitMQ + PostgreSQL row will be skipped" >&2

echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB, $(uname -sr), RabbitMQ $(rabbitmqctl version 2>/dev/null || echo "?"), $(psql --version 2>/dev/null || echo "PostgreSQL ?")"
cargo bench --bench boot_flows -- "$@"
